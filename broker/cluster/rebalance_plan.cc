// Greedy replica rebalancing.
#include "broker/cluster/rebalance_plan.h"

#include <algorithm>

namespace tern::cluster {

namespace {

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::pair<int32_t, int32_t> extremes(const std::map<int32_t, int>& load) {
  auto [lo, hi] = std::minmax_element(
      load.begin(), load.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return {lo->first, hi->first};
}

}  // namespace

rebalance_plan plan_rebalance(const cluster_view& v, size_t max_moves) {
  rebalance_plan plan;
  for (const auto& [id, b] : v.brokers)
    if (!v.draining.contains(id)) plan.load_before[id] = 0;
  for (const auto& [ref, p] : v.partitions) {
    plan.in_progress += p.state.reassigning();
    for (int32_t r : p.state.target())
      if (auto it = plan.load_before.find(r); it != plan.load_before.end()) ++it->second;
  }
  plan.load_after = plan.load_before;
  if (plan.load_after.size() < 2) return plan;
  auto& load = plan.load_after;
  std::map<partition_ref, partition_state> moved;

  while (plan.in_progress == 0 && moved.size() < max_moves) {
    auto [low, high] = extremes(load);
    if (load[high] - load[low] <= 1) break;
    // A partition on `high` that the least loaded brokers do not hold; among the brokers as
    // lightly loaded as `low`, one in the rack of `high` first.
    const std::string& high_rack = v.brokers.at(high).rack;
    std::optional<std::pair<partition_ref, int32_t>> pick;
    bool same_rack = false;
    for (const auto& [ref, p] : v.partitions) {
      if (moved.contains(ref) || p.state.reassigning() || !contains(p.state.replicas, high))
        continue;
      for (const auto& [id, n] : load) {
        if (n != load[low] || contains(p.state.replicas, id)) continue;
        const bool rack_match = v.brokers.at(id).rack == high_rack;
        if (!pick || (rack_match && !same_rack)) {
          pick = {ref, id};
          same_rack = rack_match;
        }
        if (same_rack) break;
      }
      if (pick && same_rack) break;
    }
    if (!pick) break;  // every partition on `high` already has a replica on each light broker
    const auto& [ref, to] = *pick;
    const auto& current = v.partitions.at(ref);
    std::vector<int32_t> target = current.state.replicas;
    std::replace(target.begin(), target.end(), high, to);
    moved[ref] = start_reassignment(current.state, target);
    --load[high];
    ++load[to];
  }
  for (auto& [ref, state] : moved)
    plan.moves.push_back({ref, v.partitions.at(ref).mod_revision, std::move(state), "rebalance"});
  auto [low, high] = extremes(load);
  plan.balanced_after = load[high] - load[low] <= 1;
  return plan;
}

}  // namespace tern::cluster
