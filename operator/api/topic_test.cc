// Topic parsing (the sample, defaults, field-path errors) and Kafka's naming rules.
#include "operator/api/topic.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "operator/api/test_yaml.h"

namespace tern::op::api {
namespace {

using json = nlohmann::json;

json minimal(json spec) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Topic"},
          {"metadata", {{"name", "events"}, {"namespace", "default"}}},
          {"spec", std::move(spec)}};
}

bool has_error(const std::vector<std::string>& errors, std::string_view needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

TEST(TopicParse, TheSample) {
  auto docs =
      test::load_yaml_file(test::source_path("manifests/samples/topic-quickstart-events.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  auto t = parse_topic(docs[0]);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->meta.name, "quickstart-events");
  EXPECT_EQ(t->spec.cluster_name, "tern");
  EXPECT_EQ(kafka_name(*t), "quickstart-events");
  EXPECT_EQ(t->spec.partitions, 3);
  EXPECT_EQ(t->spec.replication_factor, 3);
  EXPECT_EQ(t->spec.config.at("retention.ms"), "604800000");
  EXPECT_EQ(t->spec.config.at("cleanup.policy"), "delete");
  EXPECT_TRUE(validate(*t).empty());
  EXPECT_FALSE(retain_on_delete(*t));
}

TEST(TopicParse, Defaults) {
  auto t = parse_topic(minimal({{"clusterRef", {{"name", "tern"}}}}));
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->spec.partitions, 1);
  EXPECT_EQ(t->spec.replication_factor, 3);
  EXPECT_TRUE(t->spec.config.empty());
  EXPECT_FALSE(t->spec.topic_name);
  EXPECT_EQ(kafka_name(*t), "events");
}

TEST(TopicParse, TopicNameOverridesMetadataName) {
  auto t = parse_topic(minimal({{"clusterRef", {{"name", "tern"}}}, {"topicName", "Orders.V1"}}));
  ASSERT_TRUE(t);
  EXPECT_EQ(kafka_name(*t), "Orders.V1");
  EXPECT_TRUE(validate(*t).empty());
}

TEST(TopicParse, Errors) {
  auto t = parse_topic(minimal({{"partitions", "3"}}));
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("spec.clusterRef.name: Required value"), std::string::npos);
  EXPECT_NE(t.error().find("spec.partitions: expected an integer"), std::string::npos) << t.error();
  t = parse_topic(minimal({{"clusterRef", {{"name", "tern"}}}, {"config", {{"retention.ms", 1}}}}));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), "spec.config[retention.ms]: expected a string (quote numbers and booleans)");
  json no_spec = minimal(nullptr);
  no_spec.erase("spec");
  t = parse_topic(no_spec);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), "spec: Required value");
}

TEST(TopicParse, StatusAndDeletionPolicy) {
  json object = minimal({{"clusterRef", {{"name", "tern"}}}});
  object["metadata"]["annotations"] = {{"tern.dev/deletion-policy", "retain"}};
  object["metadata"]["finalizers"] = {"tern.dev/topic"};
  object["status"] = {{"topicId", "abc"}, {"partitions", 3}, {"error", "boom"}};
  auto t = parse_topic(object);
  ASSERT_TRUE(t);
  EXPECT_TRUE(retain_on_delete(*t));
  EXPECT_TRUE(t->meta.has_finalizer(kTopicFinalizer));
  EXPECT_EQ(t->status.topic_id, "abc");
  EXPECT_EQ(t->status.partitions, 3);
  EXPECT_EQ(t->status.error, "boom");
  t->status.error.clear();
  json s = status_to_json(t->status);
  EXPECT_EQ(s["error"], "");
  EXPECT_EQ(s["topicId"], "abc");
}

TEST(TopicValidate, KafkaNameRules) {
  EXPECT_FALSE(check_kafka_topic_name("a"));
  EXPECT_FALSE(check_kafka_topic_name("orders_v1.eu-west"));
  EXPECT_FALSE(check_kafka_topic_name(std::string(249, 'x')));
  EXPECT_TRUE(check_kafka_topic_name(""));
  EXPECT_TRUE(check_kafka_topic_name(std::string(250, 'x')));
  EXPECT_TRUE(check_kafka_topic_name("."));
  EXPECT_TRUE(check_kafka_topic_name(".."));
  EXPECT_FALSE(check_kafka_topic_name("..."));
  EXPECT_TRUE(check_kafka_topic_name("a/b"));
  EXPECT_TRUE(check_kafka_topic_name("caf\xc3\xa9"));

  auto t = parse_topic(minimal({{"clusterRef", {{"name", "tern"}}}, {"topicName", ".."}}));
  ASSERT_TRUE(t);
  EXPECT_TRUE(has_error(validate(*t), "spec.topicName: not a valid Kafka topic name"));
}

TEST(TopicValidate, Counts) {
  auto t = parse_topic(
      minimal({{"clusterRef", {{"name", "tern"}}}, {"partitions", 0}, {"replicationFactor", 0}}));
  ASSERT_TRUE(t);
  auto errors = validate(*t);
  EXPECT_TRUE(has_error(errors, "spec.partitions: must be at least 1"));
  EXPECT_TRUE(has_error(errors, "spec.replicationFactor: must be between 1 and 32767"));
  t = parse_topic(minimal({{"clusterRef", {{"name", "Bad_Name"}}}}));
  ASSERT_TRUE(t);
  EXPECT_TRUE(has_error(validate(*t), "spec.clusterRef.name: not a valid Cluster name"));
}

}  // namespace
}  // namespace tern::op::api
