// Replica rebalancing plans from cluster views.
#include "broker/cluster/rebalance_plan.h"

#include <gtest/gtest.h>

namespace tern::cluster {
namespace {

// `brokers` live (rack per broker), and `partitions` of topic "t" with the given replicas.
cluster_view view_of(const std::map<int32_t, std::string>& brokers,
                     const std::vector<std::vector<int32_t>>& partitions) {
  cluster_view v;
  for (const auto& [id, rack] : brokers)
    v.brokers[id] = {id, "127.0.0.1", 9090 + id, rack, "", "inc"};
  topic_info t;
  t.name = "t";
  t.partitions = static_cast<int32_t>(partitions.size());
  t.assignment = partitions;
  v.topics["t"] = t;
  for (size_t i = 0; i < partitions.size(); ++i) {
    partition_state s;
    s.replicas = partitions[i];
    s.isr = partitions[i];
    s.leader = partitions[i].front();
    v.partitions[{"t", static_cast<int32_t>(i)}] = {s, static_cast<int64_t>(100 + i)};
  }
  return v;
}

TEST(RebalancePlan, ANewBrokerReceivesItsShare) {
  // Six partitions with two replicas each on brokers 1 and 2; broker 3 just joined.
  auto v = view_of({{1, ""}, {2, ""}, {3, ""}}, {{1, 2}, {2, 1}, {1, 2}, {2, 1}, {1, 2}, {2, 1}});
  auto plan = plan_rebalance(v, 100);
  EXPECT_EQ(plan.load_before, (std::map<int32_t, int>{{1, 6}, {2, 6}, {3, 0}}));
  EXPECT_EQ(plan.load_after, (std::map<int32_t, int>{{1, 4}, {2, 4}, {3, 4}}));
  EXPECT_EQ(plan.moves.size(), 4u);
  EXPECT_TRUE(plan.balanced_after);
  for (const auto& m : plan.moves) {
    ASSERT_TRUE(m.state);
    EXPECT_EQ(m.expected_mod_revision, v.partitions.at(m.ref).mod_revision);
    EXPECT_TRUE(m.state->reassigning());
    const auto target = m.state->target();
    EXPECT_EQ(target.size(), 2u);
    EXPECT_NE(std::find(target.begin(), target.end(), 3), target.end());
    // The replica kept stays in place; the leader is unchanged until the move finishes.
    EXPECT_EQ(m.state->leader, v.partitions.at(m.ref).state.leader);
  }
}

TEST(RebalancePlan, MovesAreLimitedAndNothingIsPlannedWhileAMoveIsUnderWay) {
  auto v = view_of({{1, ""}, {2, ""}, {3, ""}}, {{1, 2}, {2, 1}, {1, 2}, {2, 1}, {1, 2}, {2, 1}});
  auto plan = plan_rebalance(v, 1);
  ASSERT_EQ(plan.moves.size(), 1u);
  EXPECT_FALSE(plan.balanced_after);

  auto& first = v.partitions.at(plan.moves[0].ref).state;
  first = *plan.moves[0].state;
  plan = plan_rebalance(v, 100);
  EXPECT_EQ(plan.in_progress, 1u);
  EXPECT_TRUE(plan.moves.empty());
  // The move under way already counts where it is going.
  EXPECT_EQ(plan.load_before.at(3), 1);
}

TEST(RebalancePlan, ABalancedClusterNeedsNothing) {
  auto v = view_of({{1, ""}, {2, ""}, {3, ""}}, {{1, 2}, {2, 3}, {3, 1}, {1, 2}});
  auto plan = plan_rebalance(v, 100);
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_TRUE(plan.balanced_after);
}

TEST(RebalancePlan, DrainingBrokersAreNeitherSourcesNorTargets) {
  auto v = view_of({{1, ""}, {2, ""}, {3, ""}}, {{1, 2}, {2, 1}, {1, 2}, {2, 1}});
  v.draining.insert(3);
  auto plan = plan_rebalance(v, 100);
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_FALSE(plan.load_before.contains(3));
}

TEST(RebalancePlan, ReplicasStayInTheirRackWhenALightBrokerIsThere) {
  // Racks a: 1, 3; b: 2, 4. Brokers 3 and 4 are new.
  auto v = view_of({{1, "a"}, {2, "b"}, {3, "a"}, {4, "b"}}, {{1, 2}, {2, 1}, {1, 2}, {2, 1}});
  auto plan = plan_rebalance(v, 100);
  EXPECT_TRUE(plan.balanced_after);
  ASSERT_FALSE(plan.moves.empty());
  for (const auto& m : plan.moves) {
    const auto& before = v.partitions.at(m.ref).state.replicas;
    const auto target = m.state->target();
    for (size_t i = 0; i < before.size(); ++i)
      EXPECT_EQ(v.brokers.at(before[i]).rack, v.brokers.at(target[i]).rack)
          << m.ref.partition << " replica " << i;
  }
}

TEST(RebalancePlan, OneBrokerHasNothingToBalance) {
  auto v = view_of({{1, ""}}, {{1}, {1}});
  auto plan = plan_rebalance(v, 100);
  EXPECT_TRUE(plan.moves.empty());
  EXPECT_TRUE(plan.balanced_after);
}

}  // namespace
}  // namespace tern::cluster
