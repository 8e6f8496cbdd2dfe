// The controller's decisions from cluster views.
#include "broker/cluster/controller_plan.h"

#include <gtest/gtest.h>

namespace tern::cluster {
namespace {

cluster_view three_brokers() {
  cluster_view v;
  for (int32_t id : {1, 2, 3})
    v.brokers[id] = {id, "127.0.0.1", 9090 + id, "", "", "inc" + std::to_string(id)};
  topic_info t;
  t.name = "orders";
  t.partitions = 1;
  t.replication_factor = 3;
  t.assignment = {{1, 2, 3}};
  v.topics[t.name] = t;
  return v;
}

partition_state led_by(int32_t leader, std::vector<int32_t> isr, int32_t epoch = 4) {
  partition_state s;
  s.replicas = {1, 2, 3};
  s.leader = leader;
  s.leader_epoch = epoch;
  s.leader_incarnation = "inc" + std::to_string(leader);
  s.isr = std::move(isr);
  return s;
}

partition_write only(const std::vector<partition_write>& w) {
  EXPECT_EQ(w.size(), 1u);
  return w.front();
}

TEST(ControllerPlan, NewPartitionStartsFromItsAssignment) {
  auto w = plan_partition_changes(three_brokers(), {}, false);
  const auto write = only(w);
  EXPECT_EQ(write.expected_mod_revision, 0);
  ASSERT_TRUE(write.state);
  EXPECT_EQ(write.state->leader, 1);
  EXPECT_EQ(write.state->leader_epoch, 0);
  EXPECT_EQ(write.state->isr, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(write.state->leader_incarnation, "inc1");
}

TEST(ControllerPlan, StableClusterNeedsNoWrites) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  EXPECT_TRUE(plan_partition_changes(v, {}, true).empty());
}

TEST(ControllerPlan, ElectionPrefersTheBrokerUpLongest) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  v.brokers.erase(1);
  v.brokers[2].registered_revision = 90;  // restarted a moment ago
  v.brokers[3].registered_revision = 12;
  EXPECT_EQ(only(plan_partition_changes(v, {}, false)).state->leader, 3);
  v.brokers[2].registered_revision = 12;  // a tie: replica order decides
  EXPECT_EQ(only(plan_partition_changes(v, {}, false)).state->leader, 2);
}

TEST(ControllerPlan, DeadLeaderIsReplacedFromTheIsrWithANewEpoch) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1, 3}), 17};
  v.brokers.erase(1);
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.expected_mod_revision, 17);
  EXPECT_EQ(w.state->leader, 3);  // 2 is alive but not in sync
  EXPECT_EQ(w.state->leader_epoch, 5);
  EXPECT_EQ(w.state->isr, (std::vector<int32_t>{3}));
  EXPECT_EQ(w.state->leader_incarnation, "inc3");
}

TEST(ControllerPlan, RestartedLeaderIsAnotherIncarnationAndLosesLeadership) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  v.brokers[1].incarnation = "inc1-again";
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.state->leader, 2);
  EXPECT_EQ(w.state->leader_epoch, 5);
}

TEST(ControllerPlan, RestartedSoleInSyncLeaderIsElectedAgainWithANewEpoch) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1}), 17};
  v.brokers[1].incarnation = "inc1-again";
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.state->leader, 1);
  EXPECT_EQ(w.state->leader_epoch, 5);
  EXPECT_EQ(w.state->leader_incarnation, "inc1-again");
}

TEST(ControllerPlan, NoInSyncReplicaLeftMeansOfflineNotUnclean) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1}), 17};
  v.brokers.erase(1);
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.state->leader, -1);
  EXPECT_EQ(w.state->isr, (std::vector<int32_t>{1}));  // kept, so broker 1 can lead again
  // And once offline, nothing more is written until a member returns.
  v.partitions[{"orders", 0}] = {*w.state, 18};
  EXPECT_TRUE(plan_partition_changes(v, {}, false).empty());
  v.brokers[1] = {1, "127.0.0.1", 9091, "", "", "inc1-back"};
  const auto back = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(back.state->leader, 1);
  EXPECT_EQ(back.state->leader_epoch, 6);
}

TEST(ControllerPlan, UncleanElectionPicksAnyLiveReplicaWhenEnabled) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1}), 17};
  v.brokers.erase(1);
  const auto w = only(plan_partition_changes(v, {.unclean_leader_election = true}, false));
  EXPECT_EQ(w.state->leader, 2);
  EXPECT_EQ(w.state->isr, (std::vector<int32_t>{2}));
}

TEST(ControllerPlan, DeadFollowerLeavesTheIsrWithoutAnElection) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  v.brokers.erase(3);
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.state->leader, 1);
  EXPECT_EQ(w.state->leader_epoch, 4);
  EXPECT_EQ(w.state->isr, (std::vector<int32_t>{1, 2}));
}

TEST(ControllerPlan, LeadershipReturnsToThePreferredReplicaOnlyWhenRebalancing) {
  auto v = three_brokers();
  v.partitions[{"orders", 0}] = {led_by(2, {1, 2, 3}), 17};
  EXPECT_TRUE(plan_partition_changes(v, {}, false).empty());
  const auto w = only(plan_partition_changes(v, {}, true));
  EXPECT_EQ(w.state->leader, 1);
  EXPECT_EQ(w.state->leader_epoch, 5);
}

TEST(ControllerPlan, DrainingBrokerGetsItsReplicasMovedAndFinishesWhenInSync) {
  auto v = three_brokers();
  v.brokers[4] = {4, "127.0.0.1", 9094, "", "", "inc4"};
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  v.draining = {1};
  const auto start = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(start.state->target(), (std::vector<int32_t>{4, 2, 3}));
  EXPECT_EQ(start.state->replicas, (std::vector<int32_t>{4, 2, 3, 1}));
  EXPECT_EQ(start.state->adding, (std::vector<int32_t>{4}));
  EXPECT_EQ(start.state->removing, (std::vector<int32_t>{1}));
  EXPECT_EQ(start.state->leader, 1);  // stays until the new replica is in sync
  auto moving = *start.state;
  v.partitions[{"orders", 0}] = {moving, 18};
  EXPECT_TRUE(plan_partition_changes(v, {}, false).empty());
  moving.isr = {1, 2, 3, 4};
  v.partitions[{"orders", 0}] = {moving, 19};
  const auto done = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(done.state->replicas, (std::vector<int32_t>{4, 2, 3}));
  EXPECT_FALSE(done.state->reassigning());
  EXPECT_EQ(done.state->leader, 4);  // the new preferred replica, now in sync
  EXPECT_EQ(done.state->leader_epoch, 5);
  EXPECT_EQ(done.state->isr, (std::vector<int32_t>{2, 3, 4}));
}

TEST(ControllerPlan, CancellingAReassignmentReturnsToTheOriginalReplicas) {
  auto s = start_reassignment(led_by(1, {1, 2, 3}), {1, 2, 4});
  EXPECT_EQ(s.replicas, (std::vector<int32_t>{1, 2, 4, 3}));
  s.isr = {1, 2, 3, 4};
  auto back = start_reassignment(s, s.original());
  EXPECT_EQ(back.replicas, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_FALSE(back.reassigning());
  EXPECT_EQ(back.isr, (std::vector<int32_t>{1, 2, 3}));
}

TEST(ControllerPlan, StatesOfDeletedTopicsAreRemoved) {
  auto v = three_brokers();
  v.partitions[{"gone", 0}] = {led_by(1, {1}), 5};
  v.partitions[{"orders", 0}] = {led_by(1, {1, 2, 3}), 17};
  const auto w = only(plan_partition_changes(v, {}, false));
  EXPECT_EQ(w.ref.topic, "gone");
  EXPECT_FALSE(w.state);
  EXPECT_EQ(w.expected_mod_revision, 5);
}

}  // namespace
}  // namespace tern::cluster
