// ListOffsets: earliest, latest, max-timestamp and by-timestamp offsets of partitions.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;

}  // namespace

handler_result list_offsets(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::list_offsets().response.fields);
  for (const auto& topic_value : req.array("topics")) {
    const auto& topic = topic_value.as_struct();
    const std::string& name = topic.string("name");
    auto& out_topic = r.add("topics");
    out_topic["name"] = name;
    for (const auto& part_value : topic.array("partitions")) {
      const auto& part = part_value.as_struct();
      const int32_t index = static_cast<int32_t>(part.integer("partition_index"));
      auto& out = out_topic.add("partitions");
      out["partition_index"] = int64_t{index};
      auto p = find_leader_partition(
          b, name, index, static_cast<int32_t>(part.integer("current_leader_epoch")), false);
      if (!p.ok()) {
        out["error_code"] = code(p.error);
        continue;
      }
      storage::log* log = p.log;
      const int64_t ts = part.integer("timestamp");
      int64_t offset = -1;
      int64_t found_ts = -1;
      if (ts == kLatest) {
        offset = log->high_watermark();
      } else if (ts == kEarliest) {
        offset = log->log_start_offset();
      } else if (ts == kMaxTimestamp) {
        if (auto m = log->max_timestamp()) {
          offset = m->offset;
          found_ts = m->timestamp;
        }
      } else if (ts < 0) {
        out["error_code"] = code(error_code::invalid_request);
        continue;
      } else if (auto m = log->offset_for_timestamp(ts)) {
        offset = m->offset;
        found_ts = m->timestamp;
      }
      out["error_code"] = code(error_code::none);
      out["offset"] = offset;
      out["timestamp"] = found_ts;
      out["leader_epoch"] = int64_t{p.leader_epoch};
      if (cx.api_version == 0 && offset >= 0) out.array("old_style_offsets").push_back(offset);
    }
  }
  co_return r;
}

}  // namespace tern::server::handlers
