// The Cluster controller's safety checks against a real tern cluster (etcd and tern-broker
// processes): a rolling restart waits while it would take a partition below
// min.insync.replicas, a scale-down below a topic's replication factor is refused, an allowed
// scale-down drains the brokers it removes before the StatefulSet shrinks, and a scale-up
// spreads replicas onto the new brokers.
#include <gtest/gtest.h>

#include "operator/controllers/broker_admin_client.h"
#include "operator/controllers/kafka_topic_admin.h"
#include "operator/controllers/testing/local_processes.h"
#include "operator/controllers/testing/operator_env.h"

namespace tern::op::testing {
namespace {

namespace res = k8s::resources;
using namespace std::chrono_literals;

std::string condition_message(const json& object, const std::string& type) {
  for (const auto& c : object.value("status", json::object()).value("conditions", json::array()))
    if (c.value("type", "") == type) return c.value("message", "");
  return "";
}

// etcd, brokers 0..n-1 registered in it, and the operator (with the StatefulSet stand-in) for
// a Cluster "tern" whose admin API and bootstrap address are broker 0's. The stand-in runs no
// processes: the brokers are the test's.
class ClusterWithBrokersTest : public ::testing::Test {
 protected:
  void start_brokers(int count, std::map<std::string, std::string> overrides = {}) {
    etcd_ = local_etcd::start();
    for (int id = 0; id < count; ++id) add_broker(id, overrides);
    admin_ = std::make_unique<controllers::broker_admin_client>(brokers_[0].admin_url);
    ASSERT_TRUE(eventually(
        [&] {
          auto h = admin_->cluster();
          return h && h->live_brokers == count;
        },
        30s))
        << "the brokers did not register";
    auto kafka = controllers::kafka_topic_admin::connect(brokers_[0].bootstrap, 10s);
    ASSERT_TRUE(kafka) << kafka.error();
    kafka_ = std::move(*kafka);
  }

  void add_broker(int id, std::map<std::string, std::string> overrides = {}) {
    overrides["node.id"] = std::to_string(id);
    overrides["metadata.store"] = "etcd://" + etcd_.endpoint;
    brokers_.push_back(local_broker::start(overrides));
  }

  void create_topic(const std::string& name, int partitions, int rf,
                    const std::map<std::string, std::string>& configs = {}) {
    auto created = kafka_->create(name, partitions, rf, configs);
    ASSERT_TRUE(created) << created.error().describe();
  }

  void start_operator(int replicas) {
    env_.set_bootstrap("tern", brokers_[0].bootstrap);
    env_.set_admin_url("tern", brokers_[0].admin_url);
    env_.start();
    env_.run_statefulset_controller();
    env_.must_create(res::clusters, {{"apiVersion", "tern.dev/v1alpha1"},
                                     {"kind", "Cluster"},
                                     {"metadata", {{"name", "tern"}}},
                                     {"spec", {{"replicas", replicas}}}});
  }

  // The Cluster once `done` holds for its current generation.
  json wait_cluster(const std::function<bool(const json&)>& done, const std::string& what) {
    json last;
    const bool ok = eventually(
        [&] {
          auto c = env_.get(res::clusters, "tern");
          if (!c) return false;
          last = *c;
          return c->value("status", json::object()).value("observedGeneration", 0) ==
                     (*c)["metadata"]["generation"] &&
                 done(*c);
        },
        60s);
    EXPECT_TRUE(ok) << what << ": " << last.value("status", json::object()).dump();
    return last;
  }

  json wait_ready(const std::string& want) {
    return wait_cluster([&](const json& c) { return env_.condition(c, "Ready") == want; },
                        "Ready " + want);
  }

  bool has_event(const std::string& prefix) {
    for (const auto& e : env_.events_about("tern"))
      if (e.starts_with(prefix)) return true;
    return false;
  }

  local_etcd etcd_;
  std::vector<local_broker> brokers_;
  std::unique_ptr<controllers::broker_admin_client> admin_;
  std::unique_ptr<controllers::kafka_topic_admin> kafka_;
  operator_env env_;
};

TEST_F(ClusterWithBrokersTest, RestartsAndScaleDownsWaitForThePartitionsToBeSafe) {
  start_brokers(3,
                {{"auto.leader.rebalance.enable", "false"}, {"replica.lag.time.max.ms", "2000"}});
  create_topic("strict", 3, 3, {{"min.insync.replicas", "2"}});
  // A replication factor of 1 can never restart without going below min.insync.replicas:
  // it must not hold restarts up.
  create_topic("single", 1, 1);
  ASSERT_TRUE(eventually(
      [&] {
        auto h = admin_->cluster();
        return h && h->partitions == 4 && h->under_replicated == 0;
      },
      30s));
  start_operator(3);
  wait_ready("True/Ready");

  // Broker 2 dies: every partition of 'strict' is left with two in-sync replicas, so
  // restarting broker 0 or 1 would take it below min.insync.replicas.
  brokers_[2].process.kill();
  ASSERT_TRUE(eventually(
      [&] {
        auto share = admin_->broker(0);
        return share && share->restart_blocking_partitions == 3;
      },
      30s));
  env_.must_edit(res::clusters, "tern", [](json& c) {
    c["spec"]["config"] = {{"log.retention.hours", "12"}};
  });
  auto c = wait_ready("False/RollingRestart");
  EXPECT_NE(condition_message(c, "Progressing").find("under-replicated"), std::string::npos)
      << condition_message(c, "Progressing");
  const std::string hash =
      (*env_.get(res::stateful_sets,
                 "tern"))["spec"]["template"]["metadata"]["annotations"]["tern.dev/config-hash"];
  auto restarted = [&] {
    size_t n = 0;
    for (const auto& line : env_.pod_log()) n += line.ends_with(" " + hash);
    return n;
  };
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(restarted(), 0u) << "a broker was restarted although it was unsafe";

  // Broker 2 is back (an empty disk: it copies its replicas again); once they are in sync the
  // restarts go ahead, one broker at a time, and 'single' does not hold them up.
  add_broker(2, {{"auto.leader.rebalance.enable", "false"}});
  wait_ready("True/Ready");
  EXPECT_EQ(restarted(), 3u);
  auto share = admin_->broker(0);
  ASSERT_TRUE(share);
  EXPECT_EQ(share->restart_blocking_partitions, 0);

  // Two brokers cannot hold a topic with replication factor 3.
  env_.must_edit(res::clusters, "tern", [](json& c) { c["spec"]["replicas"] = 2; });
  c = wait_ready("False/ScaleDownRefused");
  EXPECT_NE(condition_message(c, "Degraded").find("topic strict has replication factor 3"),
            std::string::npos);
  EXPECT_EQ((*env_.get(res::stateful_sets, "tern"))["spec"]["replicas"], 3);

  // Without it, broker 2 is drained first, then removed.
  const auto before_pairs = admin_->broker(2);
  ASSERT_TRUE(before_pairs);
  create_topic("pairs", 4, 2);
  ASSERT_TRUE(eventually(
      [&] {
        auto now = admin_->broker(2);
        return now && now->replicas > before_pairs->replicas;
      },
      30s))
      << "no replica of 'pairs' was placed on broker 2";
  ASSERT_TRUE(kafka_->remove("strict"));
  c = wait_ready("True/Ready");
  EXPECT_EQ((*env_.get(res::stateful_sets, "tern"))["spec"]["replicas"], 2);
  EXPECT_EQ(c["status"]["replicas"], 2);
  share = admin_->broker(2);
  ASSERT_TRUE(share);
  EXPECT_EQ(share->replicas, 0);
  EXPECT_FALSE(share->draining);  // the mark is taken off once the StatefulSet shrinks
  EXPECT_TRUE(has_event("DrainingBroker: moving partitions off broker 2"));
  // Every partition of 'pairs' is still fully replicated on the remaining brokers.
  EXPECT_TRUE(eventually(
      [&] {
        auto h = admin_->cluster();
        return h && h->under_replicated == 0 && h->reassigning == 0;
      },
      30s));
}

TEST_F(ClusterWithBrokersTest, PartitionsAreSpreadOntoAddedBrokers) {
  start_brokers(2);
  create_topic("events", 6, 2);
  start_operator(2);
  wait_ready("True/Ready");

  add_broker(2);
  env_.must_edit(res::clusters, "tern", [](json& c) { c["spec"]["replicas"] = 3; });
  wait_cluster(
      [&](const json& c) {
        return env_.condition(c, "Balanced") == "True/Balanced" &&
               env_.condition(c, "Ready") == "True/Ready";
      },
      "Balanced and Ready");
  auto share = admin_->broker(2);
  ASSERT_TRUE(share);
  EXPECT_EQ(share->replicas, 4);  // 12 replicas over 3 brokers
  EXPECT_TRUE(has_event("Rebalancing: moving 4"));
}

}  // namespace
}  // namespace tern::op::testing
