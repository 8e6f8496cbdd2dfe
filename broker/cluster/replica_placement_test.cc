// Replica placement: spread over brokers and racks.
#include "broker/cluster/replica_placement.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace tern::cluster {
namespace {

TEST(ReplicaPlacement, EveryPartitionGetsDistinctBrokersAndLeadersRotate) {
  auto placed = place_replicas({{1, ""}, {2, ""}, {3, ""}}, 0, 6, 3, 0);
  ASSERT_EQ(placed.size(), 6u);
  std::map<int32_t, int> leaders;
  for (const auto& replicas : placed) {
    EXPECT_EQ(std::set<int32_t>(replicas.begin(), replicas.end()).size(), 3u);
    ++leaders[replicas.front()];
  }
  EXPECT_EQ(leaders, (std::map<int32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
}

TEST(ReplicaPlacement, ReplicasCoverEveryRackWhenTheyCan) {
  // Two brokers in rack a, two in rack b: any two replicas must be in different racks.
  std::map<int32_t, std::string> rack = {{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}};
  auto placed = place_replicas({{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}}, 0, 8, 2, 5);
  for (const auto& replicas : placed) EXPECT_NE(rack[replicas[0]], rack[replicas[1]]);
}

TEST(ReplicaPlacement, NewPartitionsContinueTheRotation) {
  auto first = place_replicas({{1, ""}, {2, ""}}, 0, 2, 1, 0);
  auto later = place_replicas({{1, ""}, {2, ""}}, 2, 1, 1, 0);
  EXPECT_EQ(first[0], later[0]);  // partition 2 wraps to where partition 0 started
}

}  // namespace
}  // namespace tern::cluster
