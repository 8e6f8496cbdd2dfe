// Where the replicas of new partitions go: spread over brokers and racks, with each
// partition's preferred leader on a different broker in turn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tern::cluster {

struct placement_broker {
  int32_t id;
  std::string rack;  // empty: no rack
};

// Replicas for partitions [first, first + count) of a topic. Brokers are ordered so that
// consecutive ones alternate racks; partition p's replicas are `rf` consecutive brokers of
// that order starting at (start + p). Requires 1 <= rf <= brokers.size().
std::vector<std::vector<int32_t>> place_replicas(std::vector<placement_broker> brokers,
                                                 int32_t first, int32_t count, int16_t rf,
                                                 uint32_t start);

}  // namespace tern::cluster
