// DescribeGroups: state, protocol and members (with their subscriptions and assignments).
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result describe_groups(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value out(protocol::messages::describe_groups().response.fields);
  for (const auto& id : req.array("groups")) {
    const auto d = cx.b.groups().describe(id.as_string());
    auto& g = out.add("groups");
    g["error_code"] = code(d.error);
    g["group_id"] = d.group_id;
    g["group_state"] = std::string(group::state_name(d.state));
    g["protocol_type"] = d.protocol_type;
    g["protocol_data"] = d.protocol;
    for (const auto& m : d.members) {
      auto& e = g.add("members");
      e["member_id"] = m.member_id;
      e["group_instance_id"] =
          m.group_instance_id ? protocol::value(*m.group_instance_id) : protocol::value::null();
      e["client_id"] = m.client_id;
      e["client_host"] = m.client_host;
      e["member_metadata"] = m.metadata;
      e["member_assignment"] = m.assignment;
    }
  }
  co_return out;
}

}  // namespace tern::server::handlers
