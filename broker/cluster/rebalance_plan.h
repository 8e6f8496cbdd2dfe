// Spreading replicas evenly over the live brokers, after brokers were added: which partitions
// to move, as reassignments from the most loaded brokers to the least loaded. Pure, like the
// controller plan; the result is written with compare-and-swap and simply fails, to be planned
// again, if the view was stale.
#pragma once

#include <map>
#include <vector>

#include "broker/cluster/controller_plan.h"

namespace tern::cluster {

struct rebalance_plan {
  // Replicas per live, non-draining broker, counting where reassignments are going.
  std::map<int32_t, int> load_before;
  std::map<int32_t, int> load_after;
  // Reassignments to start now, at most the `max_moves` asked for.
  std::vector<partition_write> moves;
  // Reassignments already under way (nothing new is planned while any is).
  size_t in_progress = 0;
  // Whether the most and least loaded brokers differ by at most one replica once `moves` finish.
  bool balanced_after = true;
};

// Each move replaces one replica of a partition on the most loaded broker by the least loaded
// broker that has none of it, preferring one in the same rack so rack spreading is kept.
// The preferred leader (first replica) moves only when it is the replica that has to.
rebalance_plan plan_rebalance(const cluster_view& view, size_t max_moves);

}  // namespace tern::cluster
