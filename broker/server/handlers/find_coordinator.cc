// FindCoordinator: the broker that leads the group's __consumer_offsets partition (in
// single-node mode, this one). Transactions are not supported, so transaction coordinators
// are not found.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kGroupKey = 0;
constexpr size_t kMaxGroupIdLength = 255;

struct coordinator_answer {
  error_code error = error_code::none;
  std::string message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

coordinator_answer answer_for(broker& b, const std::string& listener, int64_t key_type,
                              const std::string& key) {
  if (key_type != kGroupKey)
    return {error_code::transactional_id_authorization_failed, "transactions are not supported"};
  if (key.empty() || key.size() > kMaxGroupIdLength)
    return {error_code::invalid_group_id, "group id must be 1 to 255 characters"};
  if (b.replicas() == nullptr) {
    const auto [host, port] = b.advertised_for(listener);
    return {error_code::none, {}, b.node_id(), host, port};
  }
  const std::string topic(group::kOffsetsTopic);
  const auto& view = b.replicas()->view();
  const auto* state = view.find({topic, b.groups().partition_for(key)});
  if (state == nullptr) {
    // Created on first use; clients retry COORDINATOR_NOT_AVAILABLE.
    if (!view.topics.contains(topic))
      if (auto e = b.groups_storage().ensure_topic(b.groups().config().offsets_partitions); !e)
        return {error_code::coordinator_not_available, e.error()};
    return {error_code::coordinator_not_available, "the offsets topic is being created"};
  }
  auto leader = view.brokers.find(state->state.leader);
  if (leader == view.brokers.end())
    return {error_code::coordinator_not_available, "the group's offsets partition has no leader"};
  const auto [host, port] = leader->second.address_for(listener);
  return {error_code::none, {}, leader->first, host, port};
}

}  // namespace

handler_result find_coordinator(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::find_coordinator().response.fields);
  const int64_t key_type = req.integer("key_type");
  if (cx.api_version >= 4) {
    for (const auto& key : req.array("coordinator_keys")) {
      auto a = answer_for(b, cx.listener, key_type, key.as_string());
      auto& c = r.add("coordinators");
      c["key"] = key.as_string();
      c["error_code"] = code(a.error);
      c["node_id"] = int64_t{a.node_id};
      c["host"] = a.host;
      c["port"] = int64_t{a.port};
      if (!a.message.empty()) c["error_message"] = a.message;
    }
    co_return r;
  }
  auto a = answer_for(b, cx.listener, key_type, req.string("key"));
  r["error_code"] = code(a.error);
  r["node_id"] = int64_t{a.node_id};
  r["host"] = a.host;
  r["port"] = int64_t{a.port};
  if (!a.message.empty()) r["error_message"] = a.message;
  co_return r;
}

}  // namespace tern::server::handlers
