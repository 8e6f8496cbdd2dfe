// __consumer_offsets over the partition logs.
#include "broker/server/offsets_topic_storage.h"

#include "broker/server/broker.h"

namespace tern::server {

std::expected<void, std::string> offsets_topic_storage::ensure_topic(int32_t partitions) {
  const std::string name(group::kOffsetsTopic);
  if (topics_.find(name)) return {};
  auto r = topics_.create(name, partitions, -1,
                          {{"cleanup.policy", "compact"},
                           {"segment.bytes", std::to_string(segment_bytes_)},
                           {"compression.type", "producer"}},
                          false);
  if (!r.ok() && r.error != protocol::error_code::topic_already_exists)
    return std::unexpected(r.message);
  return {};
}

bool offsets_topic_storage::topic_exists() {
  return topics_.find(std::string(group::kOffsetsTopic)).has_value();
}

std::expected<void, std::string> offsets_topic_storage::append(int32_t partition,
                                                               std::string& batch) {
  storage::log* log = topics_.partition_log(std::string(group::kOffsetsTopic), partition);
  if (log == nullptr) return std::unexpected("no log for partition " + std::to_string(partition));
  auto r = log->append(batch, 0, now_ms());
  if (r.error != protocol::error_code::none) return std::unexpected(r.message);
  log->set_high_watermark(log->log_end_offset());
  return {};
}

void offsets_topic_storage::scan(int32_t partition,
                                 const std::function<void(std::string_view)>& visit) {
  storage::log* log = topics_.partition_log(std::string(group::kOffsetsTopic), partition);
  if (log != nullptr) log->for_each_batch(log->log_start_offset(), visit);
}

bool offsets_topic_storage::partition_exists(const std::string& topic, int32_t partition) {
  return topics_.partition_log(topic, partition) != nullptr;
}

}  // namespace tern::server
