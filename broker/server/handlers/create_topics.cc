// CreateTopics: validate and create each topic (or only validate, with validate_only).
#include <algorithm>
#include <chrono>
#include <set>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/storage/topic_config.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kSourceTopic = 1;
constexpr int64_t kSourceStaticBroker = 4;
constexpr int64_t kSourceDefault = 5;

}  // namespace

handler_result create_topics(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::create_topics().response.fields);
  const bool validate_only = req["validate_only"].as_bool();
  std::multiset<std::string> names;
  for (const auto& t : req.array("topics")) names.insert(t.as_struct().string("name"));

  for (const auto& topic_value : req.array("topics")) {
    const auto& topic = topic_value.as_struct();
    const std::string& name = topic.string("name");
    auto& out = r.add("topics");
    out["name"] = name;
    auto fail = [&](error_code e, const std::string& message) {
      out["error_code"] = code(e);
      out["error_message"] = message;
    };
    if (names.count(name) > 1) {
      fail(error_code::invalid_request,
           "Create topics request from client contains duplicate "
           "topic name " +
               name);
      continue;
    }
    int32_t partitions = static_cast<int32_t>(topic.integer("num_partitions"));
    int16_t replication = static_cast<int16_t>(topic.integer("replication_factor"));
    const auto& assignments = topic.array("assignments");
    std::vector<std::vector<int32_t>> assignment;
    if (!assignments.empty()) {
      if (partitions != -1 || replication != -1) {
        fail(error_code::invalid_request,
             "Both numPartitions or replicationFactor and replicasAssignments were set.");
        continue;
      }
      partitions = static_cast<int32_t>(assignments.size());
      auto placed = read_assignment(b, assignments);
      if (!placed) {
        fail(error_code::invalid_replica_assignment,
             "Replica assignment names unknown or repeated brokers, or its lists differ in "
             "length.");
        continue;
      }
      replication = static_cast<int16_t>(placed->front().size());
      assignment = std::move(*placed);
    }
    std::map<std::string, std::string> configs;
    for (const auto& c : topic.array("configs")) {
      const auto& cs = c.as_struct();
      if (!cs.is_null("value")) configs[cs.string("name")] = cs.string("value");
    }
    auto result =
        b.topics().create(name, partitions, replication, configs, validate_only, assignment);
    if (result.error == error_code::invalid_replication_factor && b.replicas() != nullptr) {
      // Cluster mode: a broker that registered a moment ago may not be in this broker's view
      // yet (it follows etcd a moment behind); count again from a view read now.
      co_await b.replicas()->await_fresh_view();
      result = b.topics().create(name, partitions, replication, configs, validate_only, assignment);
    }
    if (!result.ok()) {
      fail(result.error, result.message);
      continue;
    }
    if (b.replicas() != nullptr && !validate_only) {
      // Cluster mode: answer once the controller has given every partition a leader, so a
      // client that produces right away finds them.
      std::function<bool(const cluster::cluster_view&)> led =
          [name](const cluster::cluster_view& v) {
            auto t = v.topics.find(name);
            if (t == v.topics.end()) return false;
            for (int32_t p = 0; p < t->second.partitions; ++p) {
              const auto* s = v.find({name, p});
              if (s == nullptr || s->state.leader < 0) return false;
            }
            return true;
          };
      const auto wait =
          std::chrono::milliseconds(std::clamp<int64_t>(req.integer("timeout_ms"), 0, 30000));
      co_await b.replicas()->await_view(std::move(led), wait);
    }
    out["error_code"] = code(error_code::none);
    out["error_message"] = protocol::value::null();
    out["num_partitions"] = int64_t{partitions == -1 ? b.config().num_partitions : partitions};
    out["replication_factor"] =
        int64_t{replication == -1 ? b.config().default_replication_factor : replication};
    if (auto t = b.topics().find(name)) out["topic_id"] = to_uuid(t->id);
    // v5+: the configs the topic ends up with.
    for (const auto& def : storage::topic_config_defs()) {
      const std::string key(def.name);
      auto& c = out.add("configs");
      c["name"] = key;
      if (configs.contains(key)) {
        c["value"] = configs[key];
        c["config_source"] = kSourceTopic;
      } else {
        c["value"] = b.config().topic_defaults.at(key);
        c["config_source"] = b.config().raw.contains(std::string(def.broker_key))
                                 ? kSourceStaticBroker
                                 : kSourceDefault;
      }
    }
  }
  co_return r;
}

}  // namespace tern::server::handlers
