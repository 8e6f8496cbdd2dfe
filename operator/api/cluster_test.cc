// Cluster parsing (the sample, the CRD's defaults, field-path errors) and validation rules.
#include "operator/api/cluster.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "operator/api/test_yaml.h"

namespace tern::op::api {
namespace {

using json = nlohmann::json;

json minimal(json spec = json::object()) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", "tern"}, {"namespace", "default"}, {"uid", "u1"}}},
          {"spec", std::move(spec)}};
}

cluster parsed(json spec) {
  auto c = parse_cluster(minimal(std::move(spec)));
  EXPECT_TRUE(c) << c.error();
  return c ? *c : cluster{};
}

bool has_error(const std::vector<std::string>& errors, std::string_view needle) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(needle) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

TEST(ClusterParse, TheSample) {
  auto docs = test::load_yaml_file(test::source_path("manifests/samples/cluster.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  auto c = parse_cluster(docs[0]);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->meta.name, "tern");
  EXPECT_EQ(c->meta.ns, "default");
  EXPECT_EQ(c->spec.replicas, 3);
  EXPECT_EQ(c->spec.image, "ghcr.io/tern-dev/tern:0.1.0");
  EXPECT_EQ(c->spec.resources["requests"]["cpu"], "500m");
  EXPECT_EQ(c->spec.resources["limits"]["memory"], "2Gi");
  EXPECT_EQ(c->spec.storage.size, "10Gi");
  EXPECT_EQ(c->spec.config.at("min.insync.replicas"), "2");
  EXPECT_EQ(c->spec.config.at("auto.create.topics.enable"), "false");
  EXPECT_EQ(c->spec.metadata_store.type, metadata_store_type::managed);
  EXPECT_EQ(c->spec.metadata_store.managed.replicas, 3);
  EXPECT_FALSE(c->spec.service_monitor.enabled);
  EXPECT_TRUE(validate(*c).empty()) << joined(validate(*c));
  EXPECT_TRUE(ignored_config_keys(*c).empty());
}

TEST(ClusterParse, DefaultsForAnEmptySpec) {
  for (json object : {minimal(json::object()), minimal(nullptr)}) {
    if (object["spec"].is_null()) object.erase("spec");
    auto c = parse_cluster(object);
    ASSERT_TRUE(c) << c.error();
    const cluster_spec& s = c->spec;
    EXPECT_EQ(s.replicas, 3);
    EXPECT_EQ(s.image, "");
    EXPECT_EQ(s.image_pull_policy, "IfNotPresent");
    EXPECT_TRUE(s.resources.is_null());
    EXPECT_EQ(s.storage.size, "10Gi");
    EXPECT_FALSE(s.storage.storage_class_name);
    EXPECT_TRUE(s.config.empty());
    EXPECT_EQ(s.listeners.internal_port, 9092);
    EXPECT_FALSE(s.listeners.external);
    EXPECT_EQ(s.admin_port, 9644);
    EXPECT_EQ(s.metadata_store.type, metadata_store_type::managed);
    EXPECT_EQ(s.metadata_store.managed.replicas, 3);
    EXPECT_EQ(s.metadata_store.managed.image, "");
    EXPECT_EQ(s.metadata_store.managed.storage.size, "1Gi");
    EXPECT_FALSE(s.rack);
    EXPECT_TRUE(s.pod_template.affinity.is_null());
    EXPECT_FALSE(s.service_monitor.enabled);
    EXPECT_EQ(s.service_monitor.interval, "30s");
    EXPECT_TRUE(validate(*c).empty()) << joined(validate(*c));
  }
}

TEST(ClusterParse, NestedDefaultsWhenParentsArePartial) {
  auto c = parsed({{"listeners", {{"external", {{"type", "LoadBalancer"}}}}},
                   {"metadataStore", {{"managed", {{"storage", {{"storageClassName", "fast"}}}}}}},
                   {"storage", {{"storageClassName", "ssd"}}},
                   {"metrics", {{"serviceMonitor", {{"enabled", true}}}}}});
  EXPECT_EQ(c.spec.listeners.internal_port, 9092);
  ASSERT_TRUE(c.spec.listeners.external);
  EXPECT_EQ(c.spec.listeners.external->type, external_listener_type::load_balancer);
  EXPECT_EQ(c.spec.listeners.external->port, 9094);
  EXPECT_EQ(c.spec.metadata_store.managed.storage.size, "1Gi");
  EXPECT_EQ(c.spec.metadata_store.managed.storage.storage_class_name, "fast");
  EXPECT_EQ(c.spec.storage.size, "10Gi");
  EXPECT_EQ(c.spec.storage.storage_class_name, "ssd");
  EXPECT_TRUE(c.spec.service_monitor.enabled);
  EXPECT_EQ(c.spec.service_monitor.interval, "30s");
}

TEST(ClusterParse, EveryField) {
  auto c = parsed({
      {"replicas", 5},
      {"image", "img:1"},
      {"imagePullPolicy", "Always"},
      {"resources", {{"requests", {{"cpu", 1}}}}},
      {"storage", {{"size", "100Gi"}, {"storageClassName", "ssd"}}},
      {"config", {{"num.partitions", "6"}}},
      {"listeners",
       {{"internal", {{"port", 19092}}},
        {"external",
         {{"type", "NodePort"},
          {"port", 19094},
          {"nodePortBase", 31000},
          {"advertisedHost", "kafka.example.com"},
          {"annotations", {{"a", "b"}}}}}}},
      {"adminPort", 19644},
      {"metadataStore",
       {{"type", "external"},
        {"external", {{"endpoints", {"etcd-0:2379", "http://etcd-1:2379"}}}}}},
      {"rack", {{"topologyKey", "topology.kubernetes.io/zone"}}},
      {"podTemplate",
       {{"labels", {{"team", "x"}}},
        {"annotations", {{"note", "y"}}},
        {"nodeSelector", {{"pool", "kafka"}}},
        {"affinity", {{"nodeAffinity", json::object()}}},
        {"tolerations", {{{"key", "dedicated"}, {"operator", "Exists"}}}}}},
      {"metrics",
       {{"serviceMonitor", {{"enabled", true}, {"interval", "15s"}, {"labels", {{"p", "q"}}}}}}},
  });
  const cluster_spec& s = c.spec;
  EXPECT_EQ(s.replicas, 5);
  EXPECT_EQ(s.image, "img:1");
  EXPECT_EQ(s.image_pull_policy, "Always");
  EXPECT_EQ(s.resources["requests"]["cpu"], 1);
  EXPECT_EQ(s.storage.size, "100Gi");
  EXPECT_EQ(s.config.at("num.partitions"), "6");
  EXPECT_EQ(s.listeners.internal_port, 19092);
  ASSERT_TRUE(s.listeners.external);
  EXPECT_EQ(s.listeners.external->type, external_listener_type::node_port);
  EXPECT_EQ(s.listeners.external->port, 19094);
  EXPECT_EQ(s.listeners.external->node_port_base, 31000);
  EXPECT_EQ(s.listeners.external->advertised_host, "kafka.example.com");
  EXPECT_EQ(s.listeners.external->annotations.at("a"), "b");
  EXPECT_EQ(s.admin_port, 19644);
  EXPECT_EQ(s.metadata_store.type, metadata_store_type::external);
  EXPECT_EQ(s.metadata_store.external_endpoints.size(), 2u);
  ASSERT_TRUE(s.rack);
  EXPECT_EQ(s.rack->topology_key, "topology.kubernetes.io/zone");
  EXPECT_EQ(s.pod_template.labels.at("team"), "x");
  EXPECT_EQ(s.pod_template.annotations.at("note"), "y");
  EXPECT_EQ(s.pod_template.node_selector.at("pool"), "kafka");
  EXPECT_TRUE(s.pod_template.affinity.contains("nodeAffinity"));
  EXPECT_EQ(s.pod_template.tolerations.size(), 1u);
  EXPECT_TRUE(s.service_monitor.enabled);
  EXPECT_EQ(s.service_monitor.interval, "15s");
  EXPECT_EQ(s.service_monitor.labels.at("p"), "q");
  EXPECT_TRUE(validate(c).empty()) << joined(validate(c));
}

TEST(ClusterParse, TypeErrorsNameTheFieldPath) {
  auto c = parse_cluster(minimal({{"replicas", "3"},
                                  {"storage", {{"size", 10}}},
                                  {"config", {{"num.partitions", 3}}},
                                  {"listeners", {{"internal", {{"port", true}}}}},
                                  {"metadataStore", {{"type", "zookeeper"}}},
                                  {"podTemplate", {{"tolerations", {"x"}}}},
                                  {"metrics", {{"serviceMonitor", {{"enabled", "yes"}}}}}}));
  ASSERT_FALSE(c);
  for (std::string_view expected : {
           "spec.replicas: expected an integer",
           "spec.storage.size: expected a string",
           "spec.config[num.partitions]: expected a string",
           "spec.listeners.internal.port: expected an integer",
           "spec.metadataStore.type: Unsupported value \"zookeeper\"",
           "spec.podTemplate.tolerations[0]: expected an object",
           "spec.metrics.serviceMonitor.enabled: expected a boolean",
       }) {
    EXPECT_NE(c.error().find(expected), std::string::npos) << expected << " in " << c.error();
  }
}

TEST(ClusterParse, MoreTypeErrors) {
  auto c = parse_cluster(minimal({{"replicas", 1.5}}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "spec.replicas: expected an integer");
  c = parse_cluster(minimal({{"replicas", 5000000000LL}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("spec.replicas: integer out of range"), std::string::npos);
  c = parse_cluster(minimal({{"listeners", {{"external", {{"port", 1}}}}}}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "spec.listeners.external.type: Required value");
  c = parse_cluster(minimal({{"metadataStore", {{"external", {{"endpoints", "a:1"}}}}}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("spec.metadataStore.external.endpoints: expected an array"),
            std::string::npos);
  c = parse_cluster(minimal("three"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), "spec: expected an object");
  c = parse_cluster(json::array());
  ASSERT_FALSE(c);
}

TEST(ClusterParse, StatusIsReadAndAMalformedOneIsDropped) {
  json object = minimal();
  object["status"] = {{"observedGeneration", 4},
                      {"replicas", 3},
                      {"readyReplicas", 2},
                      {"selector", "a=b"},
                      {"bootstrapServers", "tern-bootstrap.default.svc:9092"},
                      {"conditions",
                       {{{"type", "Ready"},
                         {"status", "False"},
                         {"reason", "Rolling"},
                         {"message", "m"},
                         {"lastTransitionTime", "T"}}}},
                      {"brokers", {{{"id", 0}, {"host", "h"}, {"ready", true}}}}};
  auto c = parse_cluster(object);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->status.observed_generation, 4);
  EXPECT_EQ(c->status.ready_replicas, 2);
  ASSERT_EQ(c->status.conditions.size(), 1u);
  EXPECT_EQ(c->status.conditions[0].reason, "Rolling");
  ASSERT_EQ(c->status.brokers.size(), 1u);
  EXPECT_TRUE(c->status.brokers[0].ready);
  // The codec writes what it read.
  json back = status_to_json(c->status);
  EXPECT_EQ(back["selector"], "a=b");
  EXPECT_EQ(back["conditions"][0]["lastTransitionTime"], "T");
  EXPECT_EQ(back["brokers"][0]["host"], "h");

  object["status"] = {{"replicas", "many"}, {"conditions", "none"}};
  c = parse_cluster(object);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->status.replicas, 0);
  EXPECT_TRUE(c->status.conditions.empty());
}

TEST(ClusterValidate, EmbeddedStoreOnlyWithOneBroker) {
  auto c = parsed({{"replicas", 3}, {"metadataStore", {{"type", "embedded"}}}});
  EXPECT_TRUE(has_error(validate(c), "spec.metadataStore.type: embedded")) << joined(validate(c));
  c = parsed({{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}});
  EXPECT_TRUE(validate(c).empty()) << joined(validate(c));
}

TEST(ClusterValidate, ExternalStoreNeedsEndpoints) {
  auto c = parsed({{"metadataStore", {{"type", "external"}}}});
  EXPECT_TRUE(has_error(validate(c), "spec.metadataStore.external.endpoints: Required value"));
  c = parsed(
      {{"metadataStore",
        {{"type", "external"}, {"external", {{"endpoints", {"no-port", "https://e:2379"}}}}}}});
  auto errors = validate(c);
  EXPECT_TRUE(has_error(errors, "endpoints[0]: expected host:port")) << joined(errors);
  EXPECT_TRUE(has_error(errors, "endpoints[1]: the broker reaches etcd over plain HTTP"))
      << joined(errors);
}

TEST(ClusterValidate, ManagedStoreMembers) {
  auto c = parsed({{"metadataStore", {{"managed", {{"replicas", 11}}}}}});
  EXPECT_TRUE(
      has_error(validate(c), "spec.metadataStore.managed.replicas: must be between 1 and 9"));
}

TEST(ClusterValidate, ReplicationSettingsAboveTheBrokerCount) {
  auto c = parsed({{"replicas", 2},
                   {"config",
                    {{"default.replication.factor", "3"},
                     {"offsets.topic.replication.factor", "3"},
                     {"min.insync.replicas", "3"}}}});
  auto errors = validate(c);
  EXPECT_TRUE(has_error(errors,
                        "spec.config[default.replication.factor]: 3 is more than the "
                        "cluster's 2 brokers"))
      << joined(errors);
  EXPECT_TRUE(has_error(errors, "spec.config[offsets.topic.replication.factor]: 3 is more"));
  EXPECT_TRUE(has_error(errors, "spec.config[min.insync.replicas]: 3 is more"));

  c = parsed({{"replicas", 3}, {"config", {{"default.replication.factor", "three"}}}});
  EXPECT_TRUE(has_error(validate(c),
                        "spec.config[default.replication.factor]: expected a "
                        "positive integer"));

  // min.insync.replicas above the default replication factor.
  c = parsed({{"replicas", 5},
              {"config", {{"default.replication.factor", "2"}, {"min.insync.replicas", "3"}}}});
  EXPECT_TRUE(has_error(validate(c), "larger than default.replication.factor"));

  c = parsed({{"replicas", 1}, {"config", {{"min.insync.replicas", "1"}}}});
  EXPECT_TRUE(validate(c).empty()) << joined(validate(c));
}

TEST(ClusterValidate, DefaultReplicationConfigFollowsTheBrokerCount) {
  auto one = default_replication_config(parsed({{"replicas", 1}}));
  EXPECT_EQ(one.at("default.replication.factor"), "1");
  EXPECT_EQ(one.at("offsets.topic.replication.factor"), "1");
  EXPECT_EQ(one.at("min.insync.replicas"), "1");
  auto two = default_replication_config(parsed({{"replicas", 2}}));
  EXPECT_EQ(two.at("default.replication.factor"), "2");
  EXPECT_EQ(two.at("min.insync.replicas"), "1");
  auto five = default_replication_config(parsed({{"replicas", 5}}));
  EXPECT_EQ(five.at("default.replication.factor"), "3");
  EXPECT_EQ(five.at("offsets.topic.replication.factor"), "3");
  EXPECT_EQ(five.at("min.insync.replicas"), "2");
}

TEST(ClusterValidate, OwnedConfigKeysAreIgnoredNotErrors) {
  auto c = parsed({{"config",
                    {{"node.id", "4"},
                     {"listeners", "PLAINTEXT://0.0.0.0:1"},
                     {"advertised.listeners", "x"},
                     {"admin.listeners", "x"},
                     {"log.dirs", "/x"},
                     {"metadata.store", "embedded"},
                     {"broker.id", "1"},
                     {"num.partitions", "3"}}}});
  EXPECT_TRUE(validate(c).empty()) << joined(validate(c));
  EXPECT_EQ(ignored_config_keys(c),
            (std::vector<std::string>{"admin.listeners", "advertised.listeners", "broker.id",
                                      "listeners", "log.dirs", "metadata.store", "node.id"}));
}

TEST(ClusterValidate, SchemaRangesForOldObjects) {
  auto c = parsed({{"replicas", 0},
                   {"imagePullPolicy", "Sometimes"},
                   {"storage", {{"size", "lots"}}},
                   {"adminPort", 70000},
                   {"metrics", {{"serviceMonitor", {{"enabled", true}, {"interval", "soon"}}}}}});
  auto errors = validate(c);
  EXPECT_TRUE(has_error(errors, "spec.replicas: must be at least 1")) << joined(errors);
  EXPECT_TRUE(has_error(errors, "spec.imagePullPolicy: Unsupported value"));
  EXPECT_TRUE(has_error(errors, "spec.storage.size: not a storage quantity"));
  EXPECT_TRUE(has_error(errors, "spec.adminPort: must be between 1 and 65535"));
  EXPECT_TRUE(has_error(errors, "spec.metrics.serviceMonitor.interval"));
}

TEST(ClusterValidate, Ports) {
  auto c = parsed({{"adminPort", 9092}});
  EXPECT_TRUE(has_error(validate(c), "spec.adminPort: the same port"));
  c = parsed({{"listeners", {{"external", {{"type", "NodePort"}, {"port", 9644}}}}}});
  EXPECT_TRUE(has_error(validate(c), "spec.listeners.external.port: the same port"));
  c = parsed({{"replicas", 3},
              {"listeners", {{"external", {{"type", "NodePort"}, {"nodePortBase", 32766}}}}}});
  EXPECT_TRUE(has_error(validate(c), "go past node port 32767")) << joined(validate(c));
  c = parsed({{"listeners",
               {{"external",
                 {{"type", "LoadBalancer"}, {"nodePortBase", 31000}, {"advertisedHost", "h"}}}}}});
  EXPECT_TRUE(has_error(validate(c), "nodePortBase: only for type NodePort"));
  EXPECT_TRUE(has_error(validate(c), "advertisedHost: only for type NodePort"));
}

TEST(ClusterValidate, NamesThatCannotPrefixServices) {
  auto object = minimal();
  object["metadata"]["name"] = "1tern";
  auto c = parse_cluster(object);
  ASSERT_TRUE(c);
  EXPECT_TRUE(has_error(validate(*c), "metadata.name: must be a DNS-1035 label"));
  object["metadata"]["name"] = std::string(48, 'a');
  c = parse_cluster(object);
  EXPECT_TRUE(has_error(validate(*c), "metadata.name: at most 47 characters"));
  object["spec"] = {{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}};
  c = parse_cluster(object);
  EXPECT_TRUE(validate(*c).empty()) << joined(validate(*c));
}

TEST(ClusterValidate, RackNeedsATopologyKey) {
  auto c = parsed({{"rack", json::object()}});
  EXPECT_TRUE(has_error(validate(c), "spec.rack.topologyKey: Required value"));
}

}  // namespace
}  // namespace tern::op::api
