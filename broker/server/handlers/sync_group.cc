// SyncGroup: the leader hands in the assignment; every member gets its own share.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/group_records_replicated.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result sync_group(request_context& cx, protocol::struct_value& req) {
  group::sync_request r;
  r.group_id = req.string("group_id");
  r.generation = static_cast<int32_t>(req.integer("generation_id"));
  r.member_id = req.string("member_id");
  if (!req.is_null("group_instance_id")) r.group_instance_id = req.string("group_instance_id");
  if (!req.is_null("protocol_type")) r.protocol_type = req.string("protocol_type");
  if (!req.is_null("protocol_name")) r.protocol_name = req.string("protocol_name");
  for (const auto& a : req.array("assignments")) {
    const auto& as = a.as_struct();
    r.assignments.emplace_back(as.string("member_id"), as.string("assignment"));
  }
  const std::string group_id = r.group_id;
  auto result = co_await cx.b.groups().sync(std::move(r));
  // The generation's assignment was written when the leader synced: a member is told its
  // share once the in-sync replicas have it (as Kafka: COORDINATOR_NOT_AVAILABLE otherwise,
  // and the members join again).
  if (result.error == protocol::error_code::none &&
      !co_await group_records_replicated(cx.b, cx.b.groups().partition_for(group_id))) {
    result.error = protocol::error_code::coordinator_not_available;
    result.assignment.clear();
  }
  protocol::struct_value out(protocol::messages::sync_group().response.fields);
  out["error_code"] = code(result.error);
  if (!result.protocol_type.empty()) out["protocol_type"] = result.protocol_type;
  if (result.protocol_name) out["protocol_name"] = *result.protocol_name;
  out["assignment"] = result.assignment;
  co_return out;
}

}  // namespace tern::server::handlers
