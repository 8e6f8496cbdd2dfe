// Leader lookups for Produce, Fetch, ListOffsets and OffsetForLeaderEpoch.
#include "broker/server/partition_access.h"

#include "broker/server/broker.h"

namespace tern::server {

using protocol::error_code;

int64_t leader_partition::isr_size() const {
  return replica == nullptr ? 1 : static_cast<int64_t>(replica->state.isr.size());
}

leader_partition find_leader_partition(broker& b, const std::string& topic, int32_t partition,
                                       int32_t current_leader_epoch, bool for_write) {
  leader_partition out;
  auto unknown = [&] {
    out.error = validate_topic_name(topic).ok() ? error_code::unknown_topic_or_partition
                                                : error_code::invalid_topic_exception;
    return out;
  };
  replication::replica_manager* replicas = b.replicas();
  if (replicas == nullptr) {
    out.log = b.topics().partition_log(topic, partition);
    if (out.log == nullptr) return unknown();
    if (current_leader_epoch > 0) out.error = error_code::unknown_leader_epoch;
    return out;
  }
  const auto& view = replicas->view();
  auto t = view.topics.find(topic);
  if (t == view.topics.end() || partition < 0 || partition >= t->second.partitions)
    return unknown();
  out.replica = replicas->find({topic, partition});
  if (out.replica == nullptr) {
    const auto* p = view.find({topic, partition});
    out.error = p != nullptr && p->state.leader < 0 ? error_code::leader_not_available
                                                    : error_code::not_leader_or_follower;
    return out;
  }
  out.error = replicas->check_leader(out.replica, current_leader_epoch, for_write);
  out.log = out.replica->log;
  out.leader_epoch = out.replica->state.leader_epoch;
  if (!out.ok() && out.replica->state.leader < 0) out.error = error_code::leader_not_available;
  return out;
}

}  // namespace tern::server
