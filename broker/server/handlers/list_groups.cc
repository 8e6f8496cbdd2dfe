// ListGroups: every group this broker coordinates, optionally filtered by state (v4).
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result list_groups(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value out(protocol::messages::list_groups().response.fields);
  const auto& filter = req.array("states_filter");
  for (const auto& g : cx.b.groups().list()) {
    const std::string state(group::state_name(g.state));
    bool wanted = filter.empty();
    for (const auto& f : filter) wanted = wanted || f.as_string() == state;
    if (!wanted) continue;
    auto& e = out.add("groups");
    e["group_id"] = g.group_id;
    e["protocol_type"] = g.protocol_type;
    e["group_state"] = state;
  }
  co_return out;
}

}  // namespace tern::server::handlers
