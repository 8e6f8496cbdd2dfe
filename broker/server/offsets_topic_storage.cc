// __consumer_offsets over the partition logs.
#include "broker/server/offsets_topic_storage.h"

#include "broker/server/broker.h"
#include "broker/server/partition_access.h"

namespace tern::server {

std::expected<void, std::string> offsets_topic_storage::ensure_topic(int32_t partitions) {
  const std::string name(group::kOffsetsTopic);
  if (b_.topics().find(name)) return {};
  int16_t replication = -1;
  if (b_.replicas() != nullptr) {
    // offsets.topic.replication.factor, as far as the live brokers allow.
    const auto live = static_cast<int16_t>(b_.replicas()->view().brokers.size());
    replication =
        std::max<int16_t>(1, std::min(b_.config().cluster.offsets_topic_replication_factor, live));
  }
  auto r = b_.topics().create(name, partitions, replication,
                              {{"cleanup.policy", "compact"},
                               {"segment.bytes", std::to_string(b_.config().offsets_segment_bytes)},
                               {"compression.type", "producer"}},
                              false);
  if (b_.agent() != nullptr) b_.agent()->refresh_soon();
  if (!r.ok() && r.error != protocol::error_code::topic_already_exists)
    return std::unexpected(r.message);
  return {};
}

bool offsets_topic_storage::topic_exists() {
  return b_.topics().find(std::string(group::kOffsetsTopic)).has_value();
}

std::expected<void, std::string> offsets_topic_storage::append(int32_t partition,
                                                               std::string& batch) {
  auto p = find_leader_partition(b_, std::string(group::kOffsetsTopic), partition, -1, true);
  if (!p.ok())
    return std::unexpected(std::string("partition ") + std::to_string(partition) + ": " +
                           std::string(protocol::error_name(p.error)));
  auto r = p.log->append(batch, p.leader_epoch, now_ms());
  if (r.error != protocol::error_code::none) return std::unexpected(r.message);
  if (p.replica != nullptr)
    b_.replicas()->after_leader_append(*p.replica);
  else
    p.log->set_high_watermark(p.log->log_end_offset());
  return {};
}

void offsets_topic_storage::scan(int32_t partition,
                                 const std::function<void(std::string_view)>& visit) {
  storage::log* log = b_.topics().partition_log(std::string(group::kOffsetsTopic), partition);
  if (log != nullptr) log->for_each_batch(log->log_start_offset(), visit);
}

bool offsets_topic_storage::partition_exists(const std::string& topic, int32_t partition) {
  if (b_.replicas() == nullptr) return b_.topics().partition_log(topic, partition) != nullptr;
  auto t = b_.topics().find(topic);
  return t && partition >= 0 && partition < t->partitions;
}

}  // namespace tern::server
