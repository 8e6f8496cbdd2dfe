// The built objects are accepted by the Kubernetes API test double (its validation of
// StatefulSets, Services, ConfigMaps and PDBs follows the API server's), and the Cluster the
// double stores (defaulted by the CRD) parses to what parse_cluster's own defaults give.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "operator/api/cluster.h"
#include "operator/api/test_yaml.h"
#include "operator/model/cluster_objects.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::model {
namespace {

using json = nlohmann::json;

std::string collection_path(const json& object) {
  const std::string api_version = object["apiVersion"];
  const std::string kind = object["kind"];
  const std::string ns = object["metadata"]["namespace"];
  std::string plural;
  if (kind == "ConfigMap") plural = "configmaps";
  if (kind == "Service") plural = "services";
  if (kind == "StatefulSet") plural = "statefulsets";
  if (kind == "PodDisruptionBudget") plural = "poddisruptionbudgets";
  const std::string prefix = api_version == "v1" ? "/api/v1" : "/apis/" + api_version;
  return prefix + "/namespaces/" + ns + "/" + plural;
}

class KubeDoubleAccepts : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = api_.load_crds(api::test::source_path("charts/tern/crds/tern.dev_clusters.yaml"));
    ASSERT_TRUE(loaded) << loaded.error();
  }

  // Creates the Cluster and returns it as the double stored it (uid, CRD defaults).
  api::cluster create_cluster(const json& spec) {
    json object = {{"apiVersion", "tern.dev/v1alpha1"},
                   {"kind", "Cluster"},
                   {"metadata", {{"name", "tern"}, {"namespace", "default"}}},
                   {"spec", spec}};
    auto r = api_.request("POST", "/apis/tern.dev/v1alpha1/namespaces/default/clusters", object);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    auto c = api::parse_cluster(r.body);
    EXPECT_TRUE(c) << c.error();
    return c ? *c : api::cluster{};
  }

  void create_all(const cluster_objects& o) {
    std::vector<json> objects = {o.config_map, o.headless_service, o.bootstrap_service,
                                 o.stateful_set, o.pod_disruption_budget};
    objects.insert(objects.end(), o.external_services.begin(), o.external_services.end());
    objects.insert(objects.end(), o.etcd_objects.begin(), o.etcd_objects.end());
    for (const auto& obj : objects) {
      SCOPED_TRACE(obj["kind"].get<std::string>() + " " +
                   obj["metadata"]["name"].get<std::string>());
      auto r = api_.request("POST", collection_path(obj), obj);
      ASSERT_EQ(r.status, 201) << r.body.dump(1);
      created_.push_back(collection_path(obj) + "/" + obj["metadata"]["name"].get<std::string>());
    }
  }

  tern::kube_double::kube_api_double api_;
  std::vector<std::string> created_;
};

TEST_F(KubeDoubleAccepts, CrdDefaultsAgreeWithParseDefaults) {
  auto stored = create_cluster(json::object());
  json bare = {{"metadata", {{"name", "tern"}, {"namespace", "default"}}}};
  auto ours = api::parse_cluster(bare);
  ASSERT_TRUE(ours);
  const auto& a = stored.spec;
  const auto& b = ours->spec;
  EXPECT_EQ(a.replicas, b.replicas);
  EXPECT_EQ(a.image_pull_policy, b.image_pull_policy);
  EXPECT_EQ(a.storage.size, b.storage.size);
  EXPECT_EQ(a.listeners.internal_port, b.listeners.internal_port);
  EXPECT_EQ(a.admin_port, b.admin_port);
  EXPECT_EQ(a.metadata_store.type, b.metadata_store.type);
  EXPECT_EQ(a.metadata_store.managed.replicas, b.metadata_store.managed.replicas);
  EXPECT_EQ(a.metadata_store.managed.storage.size, b.metadata_store.managed.storage.size);
  EXPECT_EQ(a.service_monitor.enabled, b.service_monitor.enabled);
  EXPECT_EQ(a.service_monitor.interval, b.service_monitor.interval);
  EXPECT_FALSE(stored.meta.uid.empty());
}

TEST_F(KubeDoubleAccepts, EveryBuiltObject) {
  auto c = create_cluster(
      {{"replicas", 3},
       {"resources", {{"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}}}},
       {"rack", {{"topologyKey", "topology.kubernetes.io/zone"}}},
       {"listeners", {{"external", {{"type", "NodePort"}, {"nodePortBase", 31000}}}}},
       {"podTemplate",
        {{"tolerations",
          {{{"key", "dedicated"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}}},
         {"nodeSelector", {{"pool", "kafka"}}}}}});
  ASSERT_TRUE(api::validate(c).empty());
  auto objects = build_cluster_objects(c, operator_defaults{}, {{"node-a", "zone-1"}});
  create_all(objects);
  ASSERT_FALSE(HasFatalFailure());

  auto sts = api_.get("/apis/apps/v1/namespaces/default/statefulsets/tern");
  ASSERT_TRUE(sts);
  EXPECT_EQ((*sts)["spec"]["updateStrategy"]["type"], "OnDelete");
  EXPECT_EQ(config_hash_of(*sts), config_hash(objects));
  auto cm = api_.get("/api/v1/namespaces/default/configmaps/tern-config");
  ASSERT_TRUE(cm);
  EXPECT_EQ((*cm)["data"]["broker.yaml"], objects.config_map["data"]["broker.yaml"]);

  // Owned by a Cluster that exists: the garbage collector leaves them alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const auto& path : created_) EXPECT_TRUE(api_.get(path)) << path;
}

TEST_F(KubeDoubleAccepts, SingleBrokerEmbedded) {
  auto c = create_cluster({{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}});
  ASSERT_TRUE(api::validate(c).empty());
  create_all(build_cluster_objects(c, operator_defaults{}));
}

TEST_F(KubeDoubleAccepts, DeletingTheClusterCollectsItsObjects) {
  auto c = create_cluster(json::object());
  create_all(build_cluster_objects(c, operator_defaults{}));
  ASSERT_FALSE(HasFatalFailure());
  auto r = api_.request("DELETE", "/apis/tern.dev/v1alpha1/namespaces/default/clusters/tern");
  ASSERT_EQ(r.status / 100, 2) << r.body.dump();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  size_t left = created_.size();
  while (left > 0 && std::chrono::steady_clock::now() < deadline) {
    left = 0;
    for (const auto& path : created_) left += api_.get(path) ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(left, 0u) << "the ownerReferences should make them dependents of the Cluster";
}

}  // namespace
}  // namespace tern::op::model
