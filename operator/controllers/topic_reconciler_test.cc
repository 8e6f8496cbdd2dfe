// The Topic controller against the Kubernetes API test double and a real tern-broker.
#include <gtest/gtest.h>

#include "operator/controllers/kafka_topic_admin.h"
#include "operator/controllers/testing/local_processes.h"
#include "operator/controllers/testing/operator_env.h"

namespace tern::op::testing {
namespace {

namespace res = k8s::resources;
using namespace std::chrono_literals;

json cluster_object(const std::string& name) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}}},
          {"spec", {{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}}}};
}

json topic_object(const std::string& name, int partitions, json config = json::object(),
                  const std::string& cluster = "events") {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Topic"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"clusterRef", {{"name", cluster}}},
            {"partitions", partitions},
            {"replicationFactor", 1},
            {"config", config}}}};
}

class TopicReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = local_broker::start({{"auto.create.topics.enable", "false"}});
    env_.set_bootstrap("events", broker_.bootstrap);
    env_.set_admin_url("events", broker_.admin_url);
    env_.start();
    auto kafka = controllers::kafka_topic_admin::connect(broker_.bootstrap, 5s);
    ASSERT_TRUE(kafka) << kafka.error();
    kafka_ = std::move(*kafka);
  }

  // The Topic's status once its Ready condition is `ready` ("True/Ready", "False/<reason>").
  json wait_ready(const std::string& name, const std::string& ready) {
    json last;
    const bool ok = eventually([&] {
      auto t = env_.get(res::topics, name);
      if (!t) return false;
      last = *t;
      return env_.condition(*t, "Ready") == ready &&
             t->value("status", json::object()).value("observedGeneration", 0) ==
                 (*t)["metadata"].value("generation", -1);
    });
    EXPECT_TRUE(ok) << "Topic " << name << " never became " << ready << ": " << last.dump();
    return last;
  }

  std::optional<controllers::topic_state> in_kafka(const std::string& topic) {
    auto d = kafka_->describe(topic);
    EXPECT_TRUE(d) << d.error().describe();
    return d ? *d : std::nullopt;
  }

  local_broker broker_;
  operator_env env_;
  std::unique_ptr<controllers::kafka_topic_admin> kafka_;
};

TEST_F(TopicReconcilerTest, CreatesTheTopicWithItsConfigAndReportsIt) {
  env_.must_create(res::clusters, cluster_object("events"));
  env_.must_create(res::topics, topic_object("orders", 3, {{"retention.ms", "3600000"}}));
  auto t = wait_ready("orders", "True/Ready");
  EXPECT_EQ(t["status"]["partitions"], 3);
  EXPECT_EQ(t["status"]["replicationFactor"], 1);
  EXPECT_EQ(t["status"]["topicName"], "orders");
  EXPECT_EQ(t["status"]["topicId"].get<std::string>().size(), 22u);
  EXPECT_EQ(t["metadata"]["finalizers"], json::array({"tern.dev/topic"}));
  auto live = in_kafka("orders");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->partitions, 3);
  EXPECT_EQ(live->configs, (std::map<std::string, std::string>{{"retention.ms", "3600000"}}));
  auto events = env_.events_about("orders");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().rfind("Created: created topic orders with 3 partitions", 0), 0u);
}

TEST_F(TopicReconcilerTest, TopicNameOverridesTheResourceName) {
  env_.must_create(res::clusters, cluster_object("events"));
  auto object = topic_object("payments-topic", 1);
  object["spec"]["topicName"] = "Payments.v1";
  env_.must_create(res::topics, object);
  wait_ready("payments-topic", "True/Ready");
  EXPECT_TRUE(in_kafka("Payments.v1"));
  EXPECT_FALSE(in_kafka("payments-topic"));
}

TEST_F(TopicReconcilerTest, GrowsPartitionsRefusesToShrinkThemAndAppliesConfigChanges) {
  env_.must_create(res::clusters, cluster_object("events"));
  env_.must_create(res::topics, topic_object("clicks", 2));
  wait_ready("clicks", "True/Ready");
  env_.must_edit(res::topics, "clicks", [](json& t) {
    t["spec"]["partitions"] = 5;
    t["spec"]["config"] = {{"cleanup.policy", "compact"}};
  });
  wait_ready("clicks", "True/Ready");
  EXPECT_EQ(in_kafka("clicks")->partitions, 5);
  EXPECT_EQ(in_kafka("clicks")->configs.at("cleanup.policy"), "compact");

  env_.must_edit(res::topics, "clicks", [](json& t) { t["spec"]["partitions"] = 4; });
  auto t = wait_ready("clicks", "False/PartitionDecreaseRefused");
  EXPECT_NE(t["status"]["error"].get<std::string>().find("cannot remove partitions"),
            std::string::npos);
  EXPECT_EQ(t["status"]["partitions"], 5);
  EXPECT_EQ(in_kafka("clicks")->partitions, 5);

  // Back to a reachable spec: Ready again, and a removed config key returns to the default.
  env_.must_edit(res::topics, "clicks", [](json& t) {
    t["spec"]["partitions"] = 5;
    t["spec"]["config"] = json::object();
  });
  wait_ready("clicks", "True/Ready");
  EXPECT_TRUE(in_kafka("clicks")->configs.empty());
}

TEST_F(TopicReconcilerTest, RevertsConfigChangedInTheClusterOutOfBand) {
  env_.must_create(res::clusters, cluster_object("events"));
  env_.must_create(res::topics, topic_object("audit", 1, {{"retention.ms", "86400000"}}));
  wait_ready("audit", "True/Ready");
  ASSERT_TRUE(kafka_->set_configs("audit", {{"retention.ms", "1000"}}));
  EXPECT_TRUE(eventually([&] {
    auto live = in_kafka("audit");
    return live && live->configs.at("retention.ms") == "86400000";
  })) << "the out-of-band change stayed";
  EXPECT_TRUE(eventually([&] {
    for (const auto& e : env_.events_about("audit"))
      if (e.starts_with("ConfigReverted: ")) return true;
    return false;
  }));
}

TEST_F(TopicReconcilerTest, DeletingTheTopicResourceDeletesTheTopicUnlessRetained) {
  env_.must_create(res::clusters, cluster_object("events"));
  env_.must_create(res::topics, topic_object("temp", 1));
  auto kept = topic_object("kept", 1);
  kept["metadata"]["annotations"] = {{"tern.dev/deletion-policy", "retain"}};
  env_.must_create(res::topics, kept);
  wait_ready("temp", "True/Ready");
  wait_ready("kept", "True/Ready");
  ASSERT_TRUE(env_.api.remove(res::topics, "default", "temp"));
  ASSERT_TRUE(env_.api.remove(res::topics, "default", "kept"));
  EXPECT_TRUE(eventually([&] {
    return !env_.get(res::topics, "temp") && !env_.get(res::topics, "kept");
  })) << "the finalizer was not released";
  EXPECT_FALSE(in_kafka("temp"));
  EXPECT_TRUE(in_kafka("kept"));
}

TEST_F(TopicReconcilerTest, AMissingClusterIsReportedUntilItAppears) {
  env_.must_create(res::topics, topic_object("early", 1, json::object(), "events"));
  auto t = wait_ready("early", "False/ClusterNotFound");
  EXPECT_NE(t["status"]["error"].get<std::string>().find("Cluster events does not exist"),
            std::string::npos);
  env_.must_create(res::clusters, cluster_object("events"));
  wait_ready("early", "True/Ready");
  EXPECT_TRUE(in_kafka("early"));
}

TEST_F(TopicReconcilerTest, KafkaRefusalsAndInvalidNamesAreReportedInStatus) {
  env_.must_create(res::clusters, cluster_object("events"));
  auto too_many = topic_object("replicated", 1);
  too_many["spec"]["replicationFactor"] = 3;  // one broker
  env_.must_create(res::topics, too_many);
  auto t = wait_ready("replicated", "False/CreateFailed");
  EXPECT_NE(t["status"]["error"].get<std::string>().find("INVALID_REPLICATION_FACTOR"),
            std::string::npos)
      << t["status"].dump();

  // ".." passes the CRD's pattern but is not a legal Kafka name.
  auto dots = topic_object("dots", 1);
  dots["spec"]["topicName"] = "..";
  env_.must_create(res::topics, dots);
  t = wait_ready("dots", "False/InvalidSpec");
  EXPECT_NE(t["status"]["error"].get<std::string>().find("spec.topicName"), std::string::npos)
      << t["status"].dump();

  // Names the CRD's schema refuses never reach the operator: the API answers 422.
  auto bad = topic_object("bad", 1);
  bad["spec"]["topicName"] = "has space";
  auto refused = env_.api.create(res::topics, "default", bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 422);
}

TEST_F(TopicReconcilerTest, AnUnreachableClusterReleasesTheFinalizerAfterTheTimeout) {
  env_.must_create(res::clusters, cluster_object("events"));
  env_.must_create(res::topics, topic_object("stranded", 1));
  wait_ready("stranded", "True/Ready");
  broker_.process.kill();
  ASSERT_TRUE(env_.api.remove(res::topics, "default", "stranded"));
  // Still held while the timeout (3 s in these tests) runs.
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(env_.get(res::topics, "stranded"));
  EXPECT_TRUE(eventually([&] { return !env_.get(res::topics, "stranded"); }, 30s));
  bool released = false;
  for (const auto& e : env_.events_about("stranded"))
    released |= e.starts_with("FinalizerReleased: could not delete topic stranded");
  EXPECT_TRUE(released);
}

}  // namespace
}  // namespace tern::op::testing
