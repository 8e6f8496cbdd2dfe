// CreateTopics: validate and create each topic (or only validate, with validate_only).
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
    if (!assignments.empty()) {
      if (partitions != -1 || replication != -1) {
        fail(error_code::invalid_request,
             "Both numPartitions or replicationFactor and replicasAssignments were set.");
        continue;
      }
      partitions = static_cast<int32_t>(assignments.size());
      bool ok = true;
      for (const auto& a : assignments) {
        const auto& brokers = a.as_struct().array("broker_ids");
        replication = static_cast<int16_t>(brokers.size());
        for (const auto& id : brokers) ok = ok && id.as_int() == b.node_id();
      }
      if (!ok) {
        fail(error_code::invalid_replica_assignment, "Replica assignment names unknown brokers.");
        continue;
      }
    }
    std::map<std::string, std::string> configs;
    for (const auto& c : topic.array("configs")) {
      const auto& cs = c.as_struct();
      if (!cs.is_null("value")) configs[cs.string("name")] = cs.string("value");
    }
    auto result = b.topics().create(name, partitions, replication, configs, validate_only);
    if (!result.ok()) {
      fail(result.error, result.message);
      continue;
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
