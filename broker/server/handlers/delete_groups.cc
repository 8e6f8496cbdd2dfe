// DeleteGroups: remove empty groups and their committed offsets.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result delete_groups(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value out(protocol::messages::delete_groups().response.fields);
  for (const auto& id : req.array("groups_names")) {
    auto& r = out.add("results");
    r["group_id"] = id.as_string();
    r["error_code"] = code(cx.b.groups().remove_group(id.as_string()));
  }
  co_return out;
}

}  // namespace tern::server::handlers
