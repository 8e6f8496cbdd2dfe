// The broker configuration in the ConfigMap: owned keys, store URLs, replication defaults,
// stable YAML, the rack map.
#include "operator/model/broker_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "operator/model/test_clusters.h"

namespace tern::op::model {
namespace {

using json = nlohmann::json;
using test::make_cluster;

TEST(BrokerConfig, OperatorKeysAndDefaults) {
  auto config = broker_config(make_cluster());
  EXPECT_EQ(config.at("listeners"), "PLAINTEXT://0.0.0.0:9092");
  EXPECT_EQ(config.at("admin.listeners"), "http://0.0.0.0:9644");
  EXPECT_EQ(config.at("log.dirs"), "/var/lib/tern/data");
  EXPECT_EQ(config.at("metadata.store"), "etcd://tern-etcd-client.kafka.svc:2379");
  EXPECT_EQ(config.at("metadata.store.prefix"), "/tern/kafka/tern");
  EXPECT_EQ(config.at("default.replication.factor"), "3");
  EXPECT_EQ(config.at("offsets.topic.replication.factor"), "3");
  EXPECT_EQ(config.at("min.insync.replicas"), "2");
  EXPECT_FALSE(config.contains("node.id"));
  EXPECT_FALSE(config.contains("advertised.listeners"));
}

TEST(BrokerConfig, PortsFollowTheSpec) {
  auto config = broker_config(
      make_cluster({{"listeners", {{"internal", {{"port", 19092}}}}}, {"adminPort", 8080}}));
  EXPECT_EQ(config.at("listeners"), "PLAINTEXT://0.0.0.0:19092");
  EXPECT_EQ(config.at("admin.listeners"), "http://0.0.0.0:8080");
}

TEST(BrokerConfig, OwnedKeysFromTheSpecAreDropped) {
  auto config = broker_config(make_cluster({{"config",
                                             {{"node.id", "7"},
                                              {"broker.id", "7"},
                                              {"listeners", "PLAINTEXT://1.2.3.4:1"},
                                              {"advertised.listeners", "x"},
                                              {"admin.listeners", "x"},
                                              {"log.dirs", "/elsewhere"},
                                              {"metadata.store", "embedded"},
                                              {"num.partitions", "6"}}}}));
  EXPECT_FALSE(config.contains("node.id"));
  EXPECT_FALSE(config.contains("broker.id"));
  EXPECT_FALSE(config.contains("advertised.listeners"));
  EXPECT_EQ(config.at("listeners"), "PLAINTEXT://0.0.0.0:9092");
  EXPECT_EQ(config.at("log.dirs"), "/var/lib/tern/data");
  EXPECT_EQ(config.at("metadata.store"), "etcd://tern-etcd-client.kafka.svc:2379");
  EXPECT_EQ(config.at("num.partitions"), "6");
}

TEST(BrokerConfig, StoreUrlPerStoreType) {
  auto embedded =
      broker_config(make_cluster({{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}}));
  EXPECT_EQ(embedded.at("metadata.store"), "embedded");
  EXPECT_FALSE(embedded.contains("metadata.store.prefix"));
  auto external = broker_config(make_cluster(
      {{"metadataStore",
        {{"type", "external"},
         {"external", {{"endpoints", {"http://etcd-a.db:2379", "etcd-b.db:2379"}}}}}}}));
  EXPECT_EQ(external.at("metadata.store"), "etcd://etcd-a.db:2379,etcd-b.db:2379");
  EXPECT_EQ(external.at("metadata.store.prefix"), "/tern/kafka/tern");
}

TEST(BrokerConfig, ReplicationDefaultsForSmallClusters) {
  auto one =
      broker_config(make_cluster({{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}}));
  EXPECT_EQ(one.at("default.replication.factor"), "1");
  EXPECT_EQ(one.at("offsets.topic.replication.factor"), "1");
  EXPECT_EQ(one.at("min.insync.replicas"), "1");
  auto two = broker_config(make_cluster({{"replicas", 2}}));
  EXPECT_EQ(two.at("default.replication.factor"), "2");
  EXPECT_EQ(two.at("min.insync.replicas"), "1");
  // What the user sets wins.
  auto set = broker_config(make_cluster(
      {{"replicas", 5},
       {"config", {{"default.replication.factor", "5"}, {"min.insync.replicas", "3"}}}}));
  EXPECT_EQ(set.at("default.replication.factor"), "5");
  EXPECT_EQ(set.at("min.insync.replicas"), "3");
  EXPECT_EQ(set.at("offsets.topic.replication.factor"), "3");
}

TEST(BrokerConfig, YamlIsSortedQuotedAndReadsBack) {
  std::map<std::string, std::string> config = {
      {"z.last", "1"}, {"a.first", "true"}, {"quote", "say \"hi\"\nbye"}, {"odd key", "x: y # z"}};
  const std::string yaml = render_broker_yaml(config);
  EXPECT_LT(yaml.find("a.first"), yaml.find("z.last"));
  EXPECT_NE(yaml.find("a.first: \"true\"\n"), std::string::npos) << yaml;
  EXPECT_EQ(yaml, render_broker_yaml(config));
  YAML::Node node = YAML::Load(yaml);
  ASSERT_TRUE(node.IsMap());
  EXPECT_EQ(node.size(), 4u);
  for (const auto& [k, v] : config) EXPECT_EQ(node[k].as<std::string>(), v) << k;
}

TEST(BrokerConfig, RackMapAndNodeLabels) {
  EXPECT_EQ(render_rack_map({{"node-b", "zone-2"}, {"node-a", "zone-1"}}),
            "node-a=zone-1\nnode-b=zone-2\n");
  json node = {
      {"metadata", {{"name", "node-a"}, {"labels", {{"topology.kubernetes.io/zone", "z1"}}}}}};
  auto c = make_cluster({{"rack", {{"topologyKey", "topology.kubernetes.io/zone"}}}});
  EXPECT_EQ(node_rack(c, node), "z1");
  EXPECT_EQ(node_rack(make_cluster(), node), std::nullopt);
  EXPECT_EQ(node_rack(c, json{{"metadata", {{"name", "n"}}}}), std::nullopt);
  EXPECT_EQ(rack_override("z1"), "broker.rack=z1");
}

}  // namespace
}  // namespace tern::op::model
