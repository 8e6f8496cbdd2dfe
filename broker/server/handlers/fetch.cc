// Fetch: whole batches from each partition's log, served from the segment files, with long
// polling until min_bytes are available or max_wait_ms has passed.
#include <chrono>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

struct fetch_pass {
  protocol::struct_value response;
  int64_t bytes = 0;
  bool has_error = false;
  struct topic_out {
    std::string topic;
    int64_t bytes;
    int64_t records;
  };
  std::vector<topic_out> sent;
};

// `first_pass`: a follower's fetch offset is reported to the leader once per request.
fetch_pass read_all(request_context& cx, const protocol::struct_value& req, bool first_pass) {
  broker& b = cx.b;
  const auto replica_id = static_cast<int32_t>(req.integer("replica_id"));
  const bool from_replica = replica_id >= 0;
  int64_t budget = req.integer("max_bytes");
  fetch_pass pass{protocol::struct_value(protocol::messages::fetch().response.fields)};
  auto& r = pass.response;
  for (const auto& topic_value : req.array("topics")) {
    const auto& topic = topic_value.as_struct();
    auto& out_topic = r.add("responses");
    std::string name;
    std::optional<cluster::topic_info> info;
    if (cx.api_version >= 13) {
      out_topic["topic_id"] = topic["topic_id"];
      info = b.topics().find_by_id(topic["topic_id"].as_uuid().bytes);
      if (info) name = info->name;
    } else {
      name = topic.string("topic");
      out_topic["topic"] = name;
    }
    for (const auto& part_value : topic.array("partitions")) {
      const auto& part = part_value.as_struct();
      const int32_t index = static_cast<int32_t>(part.integer("partition"));
      auto& out = out_topic.add("partitions");
      out["partition_index"] = int64_t{index};
      out["records"] = protocol::records_value{};
      if (name.empty()) {
        out["error_code"] = code(error_code::unknown_topic_id);
        out["high_watermark"] = int64_t{-1};
        pass.has_error = true;
        continue;
      }
      auto p = find_leader_partition(
          b, name, index, static_cast<int32_t>(part.integer("current_leader_epoch")), false);
      if (!p.ok()) {
        out["error_code"] = code(p.error);
        out["high_watermark"] = int64_t{-1};
        pass.has_error = true;
        continue;
      }
      storage::log* log = p.log;
      if (from_replica && first_pass && p.replica != nullptr)
        b.replicas()->on_follower_fetch(*p.replica, replica_id, part.integer("fetch_offset"),
                                        now_ms());
      const int64_t hw = log->high_watermark();
      out["high_watermark"] = hw;
      out["last_stable_offset"] = hw;
      out["log_start_offset"] = log->log_start_offset();
      const int64_t limit = std::min<int64_t>(part.integer("partition_max_bytes"), budget);
      // KIP-74: the first batch of the response is sent even if it exceeds the limits, so
      // a consumer can always make progress.
      auto result = log->read(part.integer("fetch_offset"), std::max<int64_t>(limit, 0),
                              pass.bytes == 0, from_replica ? log->log_end_offset() : hw);
      out["error_code"] = code(result.error);
      if (result.error != error_code::none) {
        pass.has_error = true;
        continue;
      }
      const int64_t n = static_cast<int64_t>(result.records.size());
      pass.bytes += n;
      budget -= n;
      if (n > 0) pass.sent.push_back({name, n, result.record_count});
      out["records"] = std::move(result.records);
    }
  }
  return pass;
}

}  // namespace

handler_result fetch(request_context& cx, protocol::struct_value& req) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(req.integer("max_wait_ms"));
  const int64_t min_bytes = std::max<int64_t>(req.integer("min_bytes"), 1);
  bool first_pass = true;
  for (;;) {
    fetch_pass pass = read_all(cx, req, first_pass);
    first_pass = false;
    if (pass.bytes >= min_bytes || pass.has_error || std::chrono::steady_clock::now() >= deadline ||
        !cx.b.ready()) {
      if (cx.b.metrics().enabled())
        for (const auto& s : pass.sent) {
          auto& t = cx.b.metrics().topic(s.topic);
          t.bytes_out->Increment(static_cast<double>(s.bytes));
          t.records_out->Increment(static_cast<double>(s.records));
        }
      co_return std::move(pass.response);
    }
    co_await cx.b.arrivals().wait_until(deadline);
  }
}

}  // namespace tern::server::handlers
