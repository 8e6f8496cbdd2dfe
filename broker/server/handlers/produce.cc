// Produce: append each partition's record batches to its log and answer with the offsets.
#include <spdlog/spdlog.h>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

// Single-node mode: the ISR is this broker alone.
constexpr int64_t kInSyncReplicas = 1;
constexpr int32_t kLeaderEpoch = 0;

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
  for (auto& topic_value : req.array("topic_data")) {
    auto& topic = topic_value.as_struct();
    const std::string& name = topic.string("name");
    auto& out_topic = r.add("responses");
    out_topic["name"] = name;
    for (auto& part_value : topic.array("partition_data")) {
      auto& part = part_value.as_struct();
      const int64_t index = part.integer("index");
      auto& out = out_topic.add("partition_responses");
      out["index"] = index;
      out["base_offset"] = int64_t{-1};
      error_code err = request_error;
      std::string message = request_message;
      storage::log* log = nullptr;
      if (err == error_code::none) {
        log = b.topics().partition_log(name, static_cast<int32_t>(index));
        if (log == nullptr) err = missing_partition_error(name);
      }
      if (err == error_code::none && acks == -1 &&
          log->config().min_insync_replicas > kInSyncReplicas) {
        err = error_code::not_enough_replicas;
        message = "ISR size 1 is below min.insync.replicas " +
                  std::to_string(log->config().min_insync_replicas);
      }
      if (err == error_code::none) {
        auto& records = part["records"].as_records().bytes;
        auto result = log->append(records, kLeaderEpoch, now);
        err = result.error;
        message = result.message;
        if (err == error_code::none) {
          out["base_offset"] = result.base_offset;
          out["log_append_time_ms"] = result.log_append_time;
          log->set_high_watermark(log->log_end_offset());
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
      if (log != nullptr) out["log_start_offset"] = log->log_start_offset();
      out["error_code"] = code(err);
      if (!message.empty() && err != error_code::none) out["error_message"] = message;
    }
  }
  if (appended) b.arrivals().notify();
  if (acks == 0) co_return std::nullopt;
  co_return r;
}

}  // namespace tern::server::handlers
