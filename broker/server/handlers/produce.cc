// Produce: append each partition's record batches to its log as its leader and answer with
// the offsets; acks=-1 answers once every in-sync replica has the records (the high watermark
// passed them), with min.insync.replicas checked before and after the append.
#include <spdlog/spdlog.h>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

// An acks=-1 append waiting for its records to be replicated.
struct awaiting_replication {
  size_t topic_index;
  size_t partition_index;
  std::string topic;
  int32_t partition;
  int32_t leader_epoch;
  int64_t end_offset;  // the high watermark must reach this
};

protocol::struct_value& partition_out(protocol::struct_value& r, const awaiting_replication& w) {
  return r.array("responses")[w.topic_index]
      .as_struct()
      .array("partition_responses")[w.partition_index]
      .as_struct();
}

void fail(protocol::struct_value& out, error_code e, const std::string& message) {
  out["error_code"] = code(e);
  out["base_offset"] = int64_t{-1};
  out["error_message"] = message;
}

// Whether the wait is over for `w`: replicated, or no longer possible here.
bool settle(broker& b, protocol::struct_value& r, const awaiting_replication& w) {
  auto p = find_leader_partition(b, w.topic, w.partition, w.leader_epoch, true);
  auto& out = partition_out(r, w);
  if (!p.ok()) {
    fail(out, error_code::not_leader_or_follower,
         "leadership changed before the records were replicated");
    return true;
  }
  if (p.log->high_watermark() < w.end_offset) return false;
  if (p.isr_size() < p.log->config().min_insync_replicas)
    fail(out, error_code::not_enough_replicas_after_append,
         "ISR size " + std::to_string(p.isr_size()) + " fell below min.insync.replicas " +
             std::to_string(p.log->config().min_insync_replicas) + " after the append");
  return true;
}

}  // namespace

handler_result produce(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  const int64_t acks = req.integer("acks");
  protocol::struct_value r(protocol::messages::produce().response.fields);
  error_code request_error = error_code::none;
  std::string request_message;
  if (cx.api_version < 3) {
    request_error = error_code::unsupported_version;
    request_message = "Produce v0-2 (message formats 0 and 1) is not supported";
  } else if (acks != 0 && acks != 1 && acks != -1) {
    request_error = error_code::invalid_required_acks;
  } else if (!req.is_null("transactional_id")) {
    request_error = error_code::transactional_id_authorization_failed;
    request_message = "transactions are not supported";
  }
  const int64_t now = now_ms();
  bool appended = false;
  std::vector<awaiting_replication> waiting;
  size_t topic_index = 0;
  for (auto& topic_value : req.array("topic_data")) {
    auto& topic = topic_value.as_struct();
    const std::string& name = topic.string("name");
    auto& out_topic = r.add("responses");
    out_topic["name"] = name;
    size_t partition_index = 0;
    for (auto& part_value : topic.array("partition_data")) {
      auto& part = part_value.as_struct();
      const auto index = static_cast<int32_t>(part.integer("index"));
      auto& out = out_topic.add("partition_responses");
      out["index"] = int64_t{index};
      out["base_offset"] = int64_t{-1};
      error_code err = request_error;
      std::string message = request_message;
      leader_partition p;
      if (err == error_code::none) {
        p = find_leader_partition(b, name, index, -1, true);
        err = p.error;
      }
      if (err == error_code::none && acks == -1 &&
          p.isr_size() < p.log->config().min_insync_replicas) {
        err = error_code::not_enough_replicas;
        message = "ISR size " + std::to_string(p.isr_size()) + " is below min.insync.replicas " +
                  std::to_string(p.log->config().min_insync_replicas);
      }
      if (err == error_code::none) {
        const auto records = part["records"].as_records().data();
        auto result = p.log->append(records, p.leader_epoch, now);
        err = result.error;
        message = result.message;
        if (err == error_code::none) {
          out["base_offset"] = result.base_offset;
          out["log_append_time_ms"] = result.log_append_time;
          if (p.replica == nullptr)
            p.log->set_high_watermark(p.log->log_end_offset());
          else
            b.replicas()->after_leader_append(*p.replica);
          if (acks == -1 && p.log->high_watermark() < p.log->log_end_offset())
            waiting.push_back({topic_index, partition_index, name, index, p.leader_epoch,
                               p.log->log_end_offset()});
          appended = appended || result.records > 0;
          if (b.metrics().enabled()) {
            auto& t = b.metrics().topic(name);
            t.bytes_in->Increment(static_cast<double>(records.size()));
            t.records_in->Increment(static_cast<double>(result.records));
          }
        } else {
          spdlog::debug("produce to {}-{} from {} refused: {} ({})", name, index, cx.client_host,
                        protocol::error_name(err), message);
        }
      }
      if (p.log != nullptr) out["log_start_offset"] = p.log->log_start_offset();
      out["error_code"] = code(err);
      if (!message.empty() && err != error_code::none) out["error_message"] = message;
      ++partition_index;
    }
    ++topic_index;
  }
  if (appended) b.arrivals().notify();
  if (acks == 0) co_return std::nullopt;

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max<int64_t>(req.integer("timeout_ms"), 0));
  while (!waiting.empty()) {
    std::erase_if(waiting, [&](const awaiting_replication& w) { return settle(b, r, w); });
    if (waiting.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline || !b.ready()) {
      for (const auto& w : waiting)
        fail(partition_out(r, w), error_code::request_timed_out,
             "the in-sync replicas did not confirm the records within timeout.ms");
      break;
    }
    co_await b.arrivals().wait_until(deadline);
  }
  co_return r;
}

}  // namespace tern::server::handlers
