// Waiting for a group's records to reach the in-sync replicas.
#include "broker/server/handlers/group_records_replicated.h"

#include <chrono>
#include <string>

#include "broker/group/group_coordinator.h"
#include "broker/server/broker.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

namespace {
constexpr auto kCommitTimeout = std::chrono::milliseconds(5000);
}

boost::asio::awaitable<bool> group_records_replicated(broker& b, int32_t offsets_partition) {
  if (b.replicas() == nullptr) co_return true;
  const std::string topic(group::kOffsetsTopic);
  auto p = find_leader_partition(b, topic, offsets_partition, -1, false);
  if (!p.ok()) co_return false;
  const int64_t end = p.log->log_end_offset();
  const int32_t epoch = p.leader_epoch;
  const auto deadline = std::chrono::steady_clock::now() + kCommitTimeout;
  for (;;) {
    p = find_leader_partition(b, topic, offsets_partition, epoch, false);
    if (!p.ok()) co_return false;
    if (p.log->high_watermark() >= end) co_return true;
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await b.arrivals().wait_until(deadline);
  }
}

}  // namespace tern::server::handlers
