// The controller's decisions, as a pure function of one cluster view: partition states to
// create for new partitions, leaders to elect when a leader is gone or restarted, dead brokers
// to drop from ISRs, leadership to hand back to preferred replicas, reassignments to start
// (draining brokers) and to finish. The controller writes the result with compare-and-swap,
// so a decision made from a stale view simply fails and is made again from a fresh one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/cluster/cluster_model.h"

namespace tern::cluster {

struct controller_settings {
  bool unclean_leader_election = false;  // unclean.leader.election.enable
};

struct partition_write {
  partition_ref ref;
  int64_t expected_mod_revision = 0;     // 0: the key must not exist yet
  std::optional<partition_state> state;  // nullopt: delete the key
  std::string reason;
};

// `rebalance_leaders`: also move leadership to each partition's preferred replica where it
// is live and in sync (auto.leader.rebalance.enable, checked periodically).
std::vector<partition_write> plan_partition_changes(const cluster_view& view,
                                                    const controller_settings& settings,
                                                    bool rebalance_leaders);

// The state a new partition starts in: its first live replica leads, live replicas are in sync.
partition_state initial_partition_state(const cluster_view& view,
                                        const std::vector<int32_t>& replicas);

// Starts moving a partition's replicas to `target`: the state keeps the target replicas,
// then the leaving ones (until every target replica is in sync), and notes which are added
// and which removed. Also used to change or cancel (target = original) a reassignment.
partition_state start_reassignment(const partition_state& current,
                                   const std::vector<int32_t>& target);

}  // namespace tern::cluster
