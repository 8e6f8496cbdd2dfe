// CreatePartitions: raise a topic's partition count.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

handler_result create_partitions(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value r(protocol::messages::create_partitions().response.fields);
  const bool validate_only = req["validate_only"].as_bool();
  for (const auto& t : req.array("topics")) {
    const auto& ts = t.as_struct();
    auto& out = r.add("results");
    out["name"] = ts["name"];
    std::vector<std::vector<int32_t>> assignment;
    if (!ts.is_null("assignments")) {
      auto placed = read_assignment(cx.b, ts.array("assignments"));
      if (!placed) {
        out["error_code"] = code(error_code::invalid_replica_assignment);
        out["error_message"] = "Replica assignment names unknown or repeated brokers.";
        continue;
      }
      assignment = std::move(*placed);
    }
    auto result = cx.b.topics().add_partitions(
        ts.string("name"), static_cast<int32_t>(ts.integer("count")), validate_only, assignment);
    out["error_code"] = code(result.error);
    if (!result.ok()) out["error_message"] = result.message;
  }
  co_return r;
}

}  // namespace tern::server::handlers
