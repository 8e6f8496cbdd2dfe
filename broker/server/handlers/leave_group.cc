// LeaveGroup: one member (v0-2) or a batch of members, by id or static instance id (v3+).
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result leave_group(request_context& cx, protocol::struct_value& req) {
  std::vector<group::member_identity> who;
  if (cx.api_version < 3) {
    who.push_back({req.string("member_id"), std::nullopt});
  } else {
    for (const auto& m : req.array("members")) {
      const auto& ms = m.as_struct();
      who.push_back({ms.string("member_id"),
                     ms.is_null("group_instance_id")
                         ? std::nullopt
                         : std::optional<std::string>(ms.string("group_instance_id"))});
    }
  }
  auto errors = cx.b.groups().leave(req.string("group_id"), who);
  protocol::struct_value out(protocol::messages::leave_group().response.fields);
  if (cx.api_version < 3) {
    out["error_code"] =
        code(errors.size() > 1 && errors[0] == protocol::error_code::none ? errors[1] : errors[0]);
    co_return out;
  }
  out["error_code"] = code(errors[0]);
  for (size_t i = 0; i < who.size() && i + 1 < errors.size(); ++i) {
    auto& e = out.add("members");
    e["member_id"] = who[i].member_id;
    e["group_instance_id"] = who[i].group_instance_id ? protocol::value(*who[i].group_instance_id)
                                                      : protocol::value::null();
    e["error_code"] = code(errors[i + 1]);
  }
  co_return out;
}

}  // namespace tern::server::handlers
