// The Cluster controller's safety checks against a real three-broker tern cluster (etcd and
// tern-broker processes): a rolling restart waits while it would take a partition below
// min.insync.replicas, a scale-down below a topic's replication factor is refused, and an
// allowed scale-down drains the brokers it removes before the StatefulSet shrinks.
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

TEST(ClusterReconcilerWithBrokers, RestartsAndScaleDownsWaitForThePartitionsToBeSafe) {
  auto etcd = local_etcd::start();
  std::vector<local_broker> brokers;
  for (int id = 0; id < 3; ++id)
    brokers.push_back(local_broker::start({{"node.id", std::to_string(id)},
                                           {"metadata.store", "etcd://" + etcd.endpoint},
                                           {"auto.leader.rebalance.enable", "false"}}));
  controllers::broker_admin_client admin(brokers[0].admin_url);
  ASSERT_TRUE(eventually(
      [&] {
        auto h = admin.cluster();
        return h && h->live_brokers == 3;
      },
      30s))
      << "the three brokers did not register";
  auto kafka = controllers::kafka_topic_admin::connect(brokers[0].bootstrap, 10s);
  ASSERT_TRUE(kafka);
  auto created = (*kafka)->create("strict", 3, 3, {{"min.insync.replicas", "3"}});
  ASSERT_TRUE(created) << created.error().describe();
  ASSERT_TRUE(eventually(
      [&] {
        auto h = admin.cluster();
        return h && h->partitions == 3 && h->under_replicated == 0;
      },
      30s));

  operator_env env;
  env.set_bootstrap("tern", brokers[0].bootstrap);
  env.set_admin_url("tern", brokers[0].admin_url);
  env.start();
  env.run_statefulset_controller();
  env.must_create(res::clusters, {{"apiVersion", "tern.dev/v1alpha1"},
                                  {"kind", "Cluster"},
                                  {"metadata", {{"name", "tern"}}},
                                  {"spec", {{"replicas", 3}}}});
  auto ready = [&](const std::string& want) {
    json last;
    bool ok = eventually(
        [&] {
          auto c = env.get(res::clusters, "tern");
          if (!c) return false;
          last = *c;
          return env.condition(*c, "Ready") == want &&
                 (*c)["status"].value("observedGeneration", 0) == (*c)["metadata"]["generation"];
        },
        60s);
    EXPECT_TRUE(ok) << want << ": " << last.value("status", json::object()).dump();
    return last;
  };
  ready("True/Ready");

  // Every broker holds a replica of every partition and min.insync.replicas is 3: no broker
  // may restart.
  env.must_edit(res::clusters, "tern", [](json& c) {
    c["spec"]["config"] = {{"log.retention.hours", "12"}};
  });
  auto c = ready("False/RollingRestart");
  EXPECT_NE(condition_message(c, "Progressing").find("below min.insync.replicas"),
            std::string::npos)
      << condition_message(c, "Progressing");
  const std::string hash =
      (*env.get(res::stateful_sets,
                "tern"))["spec"]["template"]["metadata"]["annotations"]["tern.dev/config-hash"];
  auto restarted = [&] {
    size_t n = 0;
    for (const auto& line : env.pod_log()) n += line.ends_with(" " + hash);
    return n;
  };
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(restarted(), 0u) << "a broker was restarted although it was unsafe";

  // Relaxed: the restarts go ahead, one broker at a time.
  ASSERT_TRUE((*kafka)->set_configs("strict", {{"min.insync.replicas", "2"}}));
  ready("True/Ready");
  EXPECT_EQ(restarted(), 3u);

  // Two brokers cannot hold a topic with replication factor 3.
  env.must_edit(res::clusters, "tern", [](json& c) { c["spec"]["replicas"] = 2; });
  c = ready("False/ScaleDownRefused");
  EXPECT_NE(condition_message(c, "Degraded").find("topic strict has replication factor 3"),
            std::string::npos);
  EXPECT_EQ((*env.get(res::stateful_sets, "tern"))["spec"]["replicas"], 3);

  // Without it, broker 2 is drained first, then removed.
  created = (*kafka)->create("pairs", 4, 2, {});
  ASSERT_TRUE(created) << created.error().describe();
  ASSERT_TRUE(eventually(
      [&] {
        auto share = admin.broker(2);
        return share && share->replicas > 3;  // 'strict' has 3 there
      },
      30s))
      << "no replica of 'pairs' was placed on broker 2";
  ASSERT_TRUE((*kafka)->remove("strict"));
  c = ready("True/Ready");
  EXPECT_EQ((*env.get(res::stateful_sets, "tern"))["spec"]["replicas"], 2);
  EXPECT_EQ(c["status"]["replicas"], 2);
  auto share = admin.broker(2);
  ASSERT_TRUE(share);
  EXPECT_EQ(share->replicas, 0);
  EXPECT_FALSE(share->draining);  // the mark is taken off once the StatefulSet shrinks
  bool drained = false;
  for (const auto& e : env.events_about("tern"))
    drained |= e.starts_with("DrainingBroker: moving partitions off broker 2");
  EXPECT_TRUE(drained);
  // Every partition of 'pairs' is still fully replicated on the remaining brokers.
  EXPECT_TRUE(eventually(
      [&] {
        auto h = admin.cluster();
        return h && h->under_replicated == 0 && h->reassigning == 0;
      },
      30s));
}

}  // namespace
}  // namespace tern::op::testing

namespace tern::op::testing {
namespace {

TEST(ClusterReconcilerWithBrokers, PartitionsAreSpreadOntoAddedBrokers) {
  auto etcd = local_etcd::start();
  auto start_broker = [&](int id) {
    return local_broker::start(
        {{"node.id", std::to_string(id)}, {"metadata.store", "etcd://" + etcd.endpoint}});
  };
  std::vector<local_broker> brokers;
  brokers.push_back(start_broker(0));
  brokers.push_back(start_broker(1));
  controllers::broker_admin_client admin(brokers[0].admin_url);
  ASSERT_TRUE(eventually(
      [&] {
        auto h = admin.cluster();
        return h && h->live_brokers == 2;
      },
      30s));
  auto kafka = controllers::kafka_topic_admin::connect(brokers[0].bootstrap, 10s);
  ASSERT_TRUE(kafka);
  auto created = (*kafka)->create("events", 6, 2, {});
  ASSERT_TRUE(created) << created.error().describe();

  operator_env env;
  env.set_bootstrap("tern", brokers[0].bootstrap);
  env.set_admin_url("tern", brokers[0].admin_url);
  env.start();
  env.run_statefulset_controller();
  env.must_create(res::clusters, {{"apiVersion", "tern.dev/v1alpha1"},
                                  {"kind", "Cluster"},
                                  {"metadata", {{"name", "tern"}}},
                                  {"spec", {{"replicas", 2}}}});
  auto wait_for = [&](const std::function<bool(const json&)>& done, const std::string& what) {
    json last;
    bool ok = eventually(
        [&] {
          auto c = env.get(res::clusters, "tern");
          if (!c) return false;
          last = *c;
          return done(*c);
        },
        60s);
    EXPECT_TRUE(ok) << what << ": " << last.value("status", json::object()).dump();
    return last;
  };
  wait_for([&](const json& c) { return env.condition(c, "Ready") == "True/Ready"; }, "Ready");

  // The broker of the new pod (the stand-in runs no processes): started by the test.
  brokers.push_back(start_broker(2));
  env.must_edit(res::clusters, "tern", [](json& c) { c["spec"]["replicas"] = 3; });
  auto c = wait_for(
      [&](const json& c) {
        return env.condition(c, "Balanced") == "True/Balanced" &&
               env.condition(c, "Ready") == "True/Ready";
      },
      "Balanced and Ready");
  auto share = admin.broker(2);
  ASSERT_TRUE(share);
  EXPECT_EQ(share->replicas, 4);  // 12 replicas over 3 brokers
  bool moved = false;
  for (const auto& e : env.events_about("tern")) moved |= e.starts_with("Rebalancing: moving 4");
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace tern::op::testing
