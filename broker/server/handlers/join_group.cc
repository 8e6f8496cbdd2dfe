// JoinGroup: become (or stay) a member of a group; answered when the rebalance completes.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/group_records_replicated.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

namespace {

std::optional<std::string> nullable(const protocol::struct_value& s, std::string_view name) {
  if (s.is_null(name)) return std::nullopt;
  return s.string(name);
}

}  // namespace

handler_result join_group(request_context& cx, protocol::struct_value& req) {
  group::join_request r;
  r.group_id = req.string("group_id");
  r.member_id = req.string("member_id");
  r.group_instance_id = nullable(req, "group_instance_id");
  r.client_id = cx.client_id;
  r.client_host = "/" + cx.client_host.substr(0, cx.client_host.rfind(':'));
  r.session_timeout_ms = static_cast<int32_t>(req.integer("session_timeout_ms"));
  r.rebalance_timeout_ms = static_cast<int32_t>(req.integer("rebalance_timeout_ms"));
  r.protocol_type = req.string("protocol_type");
  for (const auto& p : req.array("protocols")) {
    const auto& ps = p.as_struct();
    r.protocols.emplace_back(ps.string("name"), ps.string("metadata"));
  }
  r.member_id_required = cx.api_version >= 4;
  r.can_skip_assignment = cx.api_version >= 9;
  const std::string group_id = r.group_id;
  const bool static_member = r.group_instance_id.has_value();
  auto result = co_await cx.b.groups().join(std::move(r));
  // A static member rejoining a stable group is recorded right away (its new member id):
  // answered once the in-sync replicas have that, as SyncGroup answers are.
  if (static_member && result.error == protocol::error_code::none &&
      !co_await group_records_replicated(cx.b, cx.b.groups().partition_for(group_id)))
    result.error = protocol::error_code::coordinator_not_available;

  protocol::struct_value out(protocol::messages::join_group().response.fields);
  out["error_code"] = code(result.error);
  out["generation_id"] = int64_t{result.generation};
  out["protocol_type"] = result.protocol_type.empty() ? protocol::value::null()
                                                      : protocol::value(result.protocol_type);
  // Before v7 the protocol name is not nullable.
  if (result.protocol_name)
    out["protocol_name"] = *result.protocol_name;
  else
    out["protocol_name"] = cx.api_version >= 7 ? protocol::value::null() : protocol::value("");
  out["leader"] = result.leader;
  out["skip_assignment"] = result.skip_assignment;
  out["member_id"] = result.member_id;
  for (const auto& m : result.members) {
    auto& e = out.add("members");
    e["member_id"] = m.member_id;
    e["group_instance_id"] =
        m.group_instance_id ? protocol::value(*m.group_instance_id) : protocol::value::null();
    e["metadata"] = m.metadata;
  }
  co_return out;
}

}  // namespace tern::server::handlers
