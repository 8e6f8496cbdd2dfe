// OffsetForLeaderEpoch: where a leader epoch ends in this leader's log, so a follower (or a
// consumer after a leader change) can find where its log diverges and truncate there.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

using protocol::error_code;

handler_result offset_for_leader_epoch(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::offset_for_leader_epoch().response.fields);
  for (const auto& topic_value : req.array("topics")) {
    const auto& topic = topic_value.as_struct();
    const std::string& name = topic.string("topic");
    auto& out_topic = r.add("topics");
    out_topic["topic"] = name;
    for (const auto& part_value : topic.array("partitions")) {
      const auto& part = part_value.as_struct();
      const auto index = static_cast<int32_t>(part.integer("partition"));
      auto& out = out_topic.add("partitions");
      out["partition"] = int64_t{index};
      auto p = find_leader_partition(
          b, name, index, static_cast<int32_t>(part.integer("current_leader_epoch")), false);
      if (!p.ok()) {
        out["error_code"] = code(p.error);
        continue;
      }
      const auto end = p.log->epochs().end_offset_for(
          static_cast<int32_t>(part.integer("leader_epoch")), p.log->log_end_offset());
      out["error_code"] = code(error_code::none);
      // A log that never recorded epochs (single-node, before any append) answers epoch 0.
      if (end.epoch < 0 && p.log->epochs().entries().empty()) {
        out["leader_epoch"] = int64_t{p.leader_epoch};
        out["end_offset"] = p.log->log_end_offset();
        continue;
      }
      out["leader_epoch"] = int64_t{end.epoch};
      out["end_offset"] = end.end_offset;
    }
  }
  co_return r;
}

}  // namespace tern::server::handlers
