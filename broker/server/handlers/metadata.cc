// Metadata: brokers, the cluster id and controller, and topic partitions with their leaders.
// Topics a client asks for that do not exist are created when auto-creation is on.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

void describe_partition(broker& b, const cluster::topic_info& t, int32_t p,
                        protocol::struct_value& part) {
  part["partition_index"] = int64_t{p};
  if (b.replicas() == nullptr) {
    part["error_code"] = code(error_code::none);
    part["leader_id"] = int64_t{b.node_id()};
    part["leader_epoch"] = int64_t{0};
    part.array("replica_nodes").push_back(int64_t{b.node_id()});
    part.array("isr_nodes").push_back(int64_t{b.node_id()});
    return;
  }
  const auto& view = b.replicas()->view();
  const auto* state = view.find({t.name, p});
  if (state == nullptr) {
    // Created, but the controller has not elected its first leader yet.
    part["error_code"] = code(error_code::leader_not_available);
    part["leader_id"] = int64_t{-1};
    return;
  }
  const auto& s = state->state;
  part["error_code"] = code(s.leader < 0 ? error_code::leader_not_available : error_code::none);
  part["leader_id"] = int64_t{s.leader};
  part["leader_epoch"] = int64_t{s.leader_epoch};
  for (int32_t r : s.replicas) {
    part.array("replica_nodes").push_back(int64_t{r});
    if (!view.is_live(r)) part.array("offline_replicas").push_back(int64_t{r});
  }
  for (int32_t r : s.isr) part.array("isr_nodes").push_back(int64_t{r});
}

void describe_topic(broker& b, const cluster::topic_info& t, protocol::struct_value& out) {
  out["error_code"] = code(error_code::none);
  out["name"] = t.name;
  out["topic_id"] = to_uuid(t.id);
  out["is_internal"] = t.name.starts_with("__");
  for (int32_t p = 0; p < t.partitions; ++p) describe_partition(b, t, p, out.add("partitions"));
}

// Every live broker, and which one is the controller.
// Addresses are those of the listener the client came through.
void describe_brokers(broker& b, const std::string& listener, protocol::struct_value& r) {
  if (b.replicas() == nullptr) {
    auto& entry = r.add("brokers");
    const auto [host, port] = b.advertised_for(listener);
    entry["node_id"] = int64_t{b.node_id()};
    entry["host"] = host;
    entry["port"] = int64_t{port};
    r["controller_id"] = int64_t{b.node_id()};
    return;
  }
  const auto& view = b.replicas()->view();
  for (const auto& [id, reg] : view.brokers) {
    auto& entry = r.add("brokers");
    const auto [host, port] = reg.address_for(listener);
    entry["node_id"] = int64_t{id};
    entry["host"] = host;
    entry["port"] = int64_t{port};
    if (!reg.rack.empty()) entry["rack"] = reg.rack;
  }
  r["controller_id"] = int64_t{view.controller};
}

bool all_known(broker& b, const protocol::struct_value& req) {
  for (const auto& item : req.array("topics")) {
    const auto& wanted = item.as_struct();
    const bool known = wanted.is_null("name")
                           ? b.topics().find_by_id(wanted["topic_id"].as_uuid().bytes).has_value()
                           : b.topics().find(wanted.string("name")).has_value();
    if (!known) return false;
  }
  return true;
}

}  // namespace

handler_result metadata(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::metadata().response.fields);
  describe_brokers(b, cx.listener, r);
  r["cluster_id"] = b.metadata().cluster_id();

  // v0: an empty list means all topics; v1+: null means all, empty means none.
  const bool all = req.is_null("topics") || (cx.api_version == 0 && req.array("topics").empty());
  if (all) {
    for (const auto& t : b.topics().topics()) describe_topic(b, t, r.add("topics"));
    co_return r;
  }
  const bool auto_create =
      req["allow_auto_topic_creation"].as_bool() && b.config().auto_create_topics;
  if (b.replicas() != nullptr && !all_known(b, req)) {
    // Cluster mode: a topic just created through another broker may not have reached this
    // broker's view yet (it follows etcd a moment behind); a client told "unknown" would wait a
    // second or more before asking again, so read etcd once before answering.
    co_await b.replicas()->await_fresh_view();
  }
  for (const auto& item : req.array("topics")) {
    const auto& wanted = item.as_struct();
    auto& out = r.add("topics");
    std::optional<cluster::topic_info> t;
    if (wanted.is_null("name")) {
      t = b.topics().find_by_id(wanted["topic_id"].as_uuid().bytes);
      if (!t) {
        out["error_code"] = code(error_code::unknown_topic_id);
        out["name"] = protocol::value::null();
        out["topic_id"] = wanted["topic_id"];
        continue;
      }
    } else {
      const std::string& name = wanted.string("name");
      t = b.topics().find(name);
      if (!t && auto_create) {
        auto created = b.topics().create(name, -1, -1, {}, false);
        if (created.ok()) {
          t = b.topics().find(name);
          if (!t) {
            // Cluster mode: created in etcd; leaders follow within a poll or two.
            if (b.agent() != nullptr) b.agent()->refresh_soon();
            out["error_code"] = code(error_code::leader_not_available);
            out["name"] = name;
            continue;
          }
        } else if (created.error == error_code::invalid_topic_exception ||
                   created.error == error_code::invalid_replication_factor) {
          out["error_code"] = code(created.error);
          out["name"] = name;
          continue;
        }
      }
      if (!t) {
        out["error_code"] = code(missing_partition_error(name));
        out["name"] = name;
        continue;
      }
    }
    describe_topic(b, *t, out);
  }
  co_return r;
}

}  // namespace tern::server::handlers
