// Heartbeat: keeps a member's session alive and tells it when to rejoin.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result heartbeat(request_context& cx, protocol::struct_value& req) {
  std::optional<std::string> instance;
  if (!req.is_null("group_instance_id")) instance = req.string("group_instance_id");
  const auto e = cx.b.groups().heartbeat(req.string("group_id"),
                                         static_cast<int32_t>(req.integer("generation_id")),
                                         req.string("member_id"), instance);
  protocol::struct_value out(protocol::messages::heartbeat().response.fields);
  out["error_code"] = code(e);
  co_return out;
}

}  // namespace tern::server::handlers
