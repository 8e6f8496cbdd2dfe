// OffsetDelete: drop a group's committed offsets for topics it no longer reads.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result offset_delete(request_context& cx, protocol::struct_value& req) {
  std::vector<std::pair<std::string, int32_t>> parts;
  for (const auto& t : req.array("topics"))
    for (const auto& p : t.as_struct().array("partitions"))
      parts.emplace_back(t.as_struct().string("name"),
                         static_cast<int32_t>(p.as_struct().integer("partition_index")));
  auto [error, per] = cx.b.groups().delete_offsets(req.string("group_id"), parts);
  protocol::struct_value out(protocol::messages::offset_delete().response.fields);
  out["error_code"] = code(error);
  size_t i = 0;
  for (const auto& t : req.array("topics")) {
    auto& ot = out.add("topics");
    ot["name"] = t.as_struct().string("name");
    for (const auto& p : t.as_struct().array("partitions")) {
      auto& op = ot.add("partitions");
      op["partition_index"] = p.as_struct().integer("partition_index");
      op["error_code"] = code(per[i++]);
    }
  }
  co_return out;
}

}  // namespace tern::server::handlers
