// Rack-alternating round-robin placement.
#include "broker/cluster/replica_placement.h"

#include <algorithm>
#include <map>

namespace tern::cluster {

std::vector<std::vector<int32_t>> place_replicas(std::vector<placement_broker> brokers,
                                                 int32_t first, int32_t count, int16_t rf,
                                                 uint32_t start) {
  // Order: the first broker of each rack, then the second of each, and so on, so that any
  // `rf` consecutive brokers cover as many racks as there are.
  std::map<std::string, std::vector<int32_t>> by_rack;
  std::sort(brokers.begin(), brokers.end(),
            [](const placement_broker& a, const placement_broker& b) { return a.id < b.id; });
  for (const auto& b : brokers) by_rack[b.rack].push_back(b.id);
  std::vector<int32_t> order;
  for (size_t round = 0; order.size() < brokers.size(); ++round)
    for (const auto& [rack, ids] : by_rack)
      if (round < ids.size()) order.push_back(ids[round]);

  std::vector<std::vector<int32_t>> out;
  const size_t n = order.size();
  for (int32_t p = first; p < first + count; ++p) {
    std::vector<int32_t> replicas;
    for (int16_t i = 0; i < rf; ++i)
      replicas.push_back(order[(start + static_cast<uint32_t>(p) + static_cast<uint32_t>(i)) % n]);
    out.push_back(std::move(replicas));
  }
  return out;
}

}  // namespace tern::cluster
