// The Cluster controller against the Kubernetes API test double, with a stand-in for the
// StatefulSet controller; the broker admin API, where a test needs one, is a real tern-broker.
#include <gtest/gtest.h>

#include "operator/controllers/testing/local_processes.h"
#include "operator/controllers/testing/operator_env.h"

namespace tern::op::testing {
namespace {

namespace res = k8s::resources;
using namespace std::chrono_literals;

json cluster_object(const std::string& name, int replicas = 3) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}}},
          {"spec", {{"replicas", replicas}, {"config", {{"log.retention.hours", "24"}}}}}};
}

bool owned_by(const json& object, const json& cluster) {
  for (const auto& ref : object["metadata"].value("ownerReferences", json::array()))
    if (ref["uid"] == cluster["metadata"]["uid"] && ref.value("controller", false) &&
        ref["kind"] == "Cluster")
      return true;
  return false;
}

std::string config_hash(const json& object) {
  return object["spec"]["template"]["metadata"]["annotations"].value("tern.dev/config-hash", "");
}

class ClusterReconcilerTest : public ::testing::Test {
 protected:
  json wait_cluster(const std::string& name, const std::string& ready) {
    json last;
    const bool ok = eventually([&] {
      auto c = env_.get(res::clusters, name);
      if (!c) return false;
      last = *c;
      return env_.condition(*c, "Ready") == ready &&
             c->value("status", json::object()).value("observedGeneration", 0) ==
                 (*c)["metadata"].value("generation", -1);
    });
    EXPECT_TRUE(ok) << "Cluster " << name << " never became " << ready << ": "
                    << last.value("status", json::object()).dump();
    return last;
  }

  bool has_event(const std::string& name, const std::string& prefix) {
    for (const auto& e : env_.events_about(name))
      if (e.starts_with(prefix)) return true;
    return false;
  }

  operator_env env_;
};

TEST_F(ClusterReconcilerTest, CreatesItsObjectsAndIsReadyWhenEveryBrokerIs) {
  env_.start();
  auto cluster = env_.must_create(res::clusters, cluster_object("tern"));
  auto c = wait_cluster("tern", "False/BrokersNotReady");
  EXPECT_EQ(env_.condition(c, "Progressing"), "True/BrokersStarting");
  EXPECT_EQ(env_.condition(c, "Degraded"), "False/AsExpected");

  auto sts = env_.get(res::stateful_sets, "tern");
  ASSERT_TRUE(sts);
  EXPECT_TRUE(owned_by(*sts, cluster));
  EXPECT_EQ((*sts)["spec"]["replicas"], 3);
  EXPECT_EQ((*sts)["spec"]["updateStrategy"]["type"], "OnDelete");
  EXPECT_EQ((*sts)["spec"]["podManagementPolicy"], "Parallel");
  EXPECT_FALSE(config_hash(*sts).empty());
  for (const char* name : {"tern-brokers", "tern-bootstrap", "tern-etcd", "tern-etcd-client"}) {
    auto svc = env_.get(res::services, name);
    ASSERT_TRUE(svc) << name;
    EXPECT_TRUE(owned_by(*svc, cluster)) << name;
  }
  auto cm = env_.get(res::config_maps, "tern-config");
  ASSERT_TRUE(cm);
  EXPECT_TRUE(owned_by(*cm, cluster));
  EXPECT_NE((*cm)["data"]["broker.yaml"].get<std::string>().find("log.retention.hours"),
            std::string::npos);
  auto etcd = env_.get(res::stateful_sets, "tern-etcd");
  ASSERT_TRUE(etcd);
  EXPECT_TRUE(owned_by(*etcd, cluster));
  auto pdb = env_.get(res::pod_disruption_budgets, "tern");
  ASSERT_TRUE(pdb);
  EXPECT_EQ((*pdb)["spec"]["maxUnavailable"], 1);
  EXPECT_TRUE(has_event("tern", "Created: created StatefulSet tern"));

  env_.run_statefulset_controller();
  c = wait_cluster("tern", "True/Ready");
  EXPECT_EQ(c["status"]["replicas"], 3);
  EXPECT_EQ(c["status"]["readyReplicas"], 3);
  EXPECT_EQ(c["status"]["bootstrapServers"], "tern-bootstrap.default.svc:9092");
  EXPECT_NE(c["status"]["selector"].get<std::string>().find("app.kubernetes.io/instance=tern"),
            std::string::npos);
  ASSERT_EQ(c["status"]["brokers"].size(), 3u);
  EXPECT_EQ(c["status"]["brokers"][2]["host"], "tern-2.tern-brokers.default.svc");
  EXPECT_EQ(c["status"]["brokers"][2]["ready"], true);
  EXPECT_EQ(env_.condition(c, "Progressing"), "False/Stable");

  // Deleting the Cluster takes everything with it (ownerReferences, garbage collection).
  ASSERT_TRUE(env_.api.remove(res::clusters, "default", "tern"));
  EXPECT_TRUE(eventually([&] {
    env_.server.run_controllers();
    return !env_.get(res::stateful_sets, "tern") && !env_.get(res::config_maps, "tern-config") &&
           !env_.get(res::services, "tern-bootstrap");
  }));
}

TEST_F(ClusterReconcilerTest, EditsAndDeletionsOfOwnedObjectsAreReverted) {
  env_.start();
  env_.must_create(res::clusters, cluster_object("tern"));
  ASSERT_TRUE(
      eventually([&] { return env_.get(res::pod_disruption_budgets, "tern").has_value(); }));
  const auto original = (*env_.get(res::config_maps, "tern-config"))["data"];
  const auto selector = (*env_.get(res::services, "tern-bootstrap"))["spec"]["selector"];

  env_.must_edit(res::config_maps, "tern-config",
                 [](json& cm) { cm["data"]["broker.yaml"] = "node.id: 7\n"; });
  env_.must_edit(res::services, "tern-bootstrap", [](json& s) {
    s["spec"]["selector"] = {{"app", "something-else"}};
  });
  ASSERT_TRUE(env_.api.remove(res::pod_disruption_budgets, "default", "tern"));

  EXPECT_TRUE(eventually([&] {
    auto cm = env_.get(res::config_maps, "tern-config");
    auto svc = env_.get(res::services, "tern-bootstrap");
    return cm && (*cm)["data"] == original && svc && (*svc)["spec"]["selector"] == selector &&
           env_.get(res::pod_disruption_budgets, "tern").has_value();
  }));
  EXPECT_TRUE(has_event("tern", "DriftReverted: ConfigMap tern-config was changed outside"));
}

TEST_F(ClusterReconcilerTest, AConfigChangeRestartsBrokersOneAtATime) {
  // Single-node admin answers: a restart is always safe.
  auto admin = local_broker::start();
  env_.set_admin_url("tern", admin.admin_url);
  env_.set_bootstrap("tern", admin.bootstrap);
  env_.start();
  env_.run_statefulset_controller();
  env_.must_create(res::clusters, cluster_object("tern"));
  wait_cluster("tern", "True/Ready");
  const std::string before = config_hash(*env_.get(res::stateful_sets, "tern"));

  env_.must_edit(res::clusters, "tern",
                 [](json& c) { c["spec"]["config"]["log.retention.hours"] = "48"; });
  std::string after;
  ASSERT_TRUE(eventually([&] {
    after = config_hash(*env_.get(res::stateful_sets, "tern"));
    return after != before;
  }));
  auto c = wait_cluster("tern", "True/Ready");
  for (int i = 0; i < 3; ++i) {
    auto pod = env_.get(res::pods, "tern-" + std::to_string(i));
    ASSERT_TRUE(pod);
    EXPECT_EQ((*pod)["metadata"]["annotations"]["tern.dev/config-hash"], after) << i;
  }
  // Each broker was restarted once, and only while the other two were up.
  std::vector<std::string> restarts;
  for (const auto& line : env_.pod_log())
    if (line.ends_with(after)) restarts.push_back(line);
  EXPECT_EQ(restarts.size(), 3u);
  for (const auto& r : restarts) EXPECT_NE(r.find("others=2"), std::string::npos) << r;
  EXPECT_TRUE(has_event("tern", "RestartingBroker: restarting broker 0 (pod tern-0)"));
  EXPECT_TRUE(has_event("tern", "RestartingBroker: restarting broker 2 (pod tern-2)"));
}

TEST_F(ClusterReconcilerTest, RacksOfTheNodesBrokersRunOnReachTheirConfig) {
  env_.start();
  env_.run_statefulset_controller();  // pods on node-0, node-1, node-2
  auto node = [&](const std::string& name, json labels) {
    env_.must_create(res::nodes,
                     {{"apiVersion", "v1"},
                      {"kind", "Node"},
                      {"metadata", {{"name", name}, {"labels", labels}}}},
                     "");
  };
  node("node-0", {{"topology.kubernetes.io/zone", "zone-a"}});
  node("node-1", {{"topology.kubernetes.io/zone", "zone-b"}});
  node("node-2", json::object());
  auto object = cluster_object("tern");
  object["spec"]["rack"] = {{"topologyKey", "topology.kubernetes.io/zone"}};
  env_.must_create(res::clusters, object);
  auto c = wait_cluster("tern", "False/RackLabelMissing");
  EXPECT_EQ(env_.condition(c, "Degraded"), "True/RackLabelMissing");
  auto racks = [&] {
    return (*env_.get(res::config_maps, "tern-config"))["data"].value("racks", "");
  };
  EXPECT_EQ(racks(), "node-0=zone-a\nnode-1=zone-b\n");

  // Labelled: its broker gets the rack too, and nothing restarts for it.
  const std::string hash = config_hash(*env_.get(res::stateful_sets, "tern"));
  env_.must_edit(
      res::nodes, "node-2",
      [](json& n) { n["metadata"]["labels"]["topology.kubernetes.io/zone"] = "zone-a"; }, "");
  // A node change is not watched; the periodic resync (2 s here) picks it up.
  wait_cluster("tern", "True/Ready");
  EXPECT_EQ(racks(), "node-0=zone-a\nnode-1=zone-b\nnode-2=zone-a\n");
  EXPECT_EQ(config_hash(*env_.get(res::stateful_sets, "tern")), hash);
}

TEST_F(ClusterReconcilerTest, ExternalAddressesReachTheBrokersConfig) {
  env_.start();
  env_.run_statefulset_controller();  // pods on node-0, node-1, node-2
  for (int i = 0; i < 3; ++i) {
    const std::string name = "node-" + std::to_string(i);
    env_.must_create(res::nodes,
                     {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}}, "");
    // The kubelet reports addresses through the status subresource.
    env_.api.update(
        res::nodes, "", name,
        {{"apiVersion", "v1"},
         {"kind", "Node"},
         {"metadata", (*env_.get(res::nodes, name, ""))["metadata"]},
         {"status",
          {{"addresses",
            json::array(
                {{{"type", "InternalIP"}, {"address", "10.0.0." + std::to_string(i)}},
                 {{"type", "ExternalIP"}, {"address", "203.0.113." + std::to_string(i)}}})}}}},
        "status");
  }
  auto object = cluster_object("tern");
  object["spec"]["listeners"] = {{"external", {{"type", "NodePort"}}}};
  env_.must_create(res::clusters, object);
  auto addresses = [&] {
    auto cm = env_.get(res::config_maps, "tern-config");
    return cm ? (*cm)["data"].value("external-addresses", "") : std::string();
  };
  std::string want;
  ASSERT_TRUE(eventually([&] {
    want.clear();
    for (int i = 0; i < 3; ++i) {
      auto svc = env_.get(res::services, "tern-" + std::to_string(i) + "-external");
      if (!svc) return false;
      want += std::to_string(i) + "=203.0.113." + std::to_string(i) + ":" +
              std::to_string((*svc)["spec"]["ports"][0]["nodePort"].get<int>()) + "\n";
    }
    return addresses() == want;
  })) << addresses()
      << " != " << want;
  const std::string yaml = (*env_.get(res::config_maps, "tern-config"))["data"]["broker.yaml"];
  EXPECT_NE(yaml.find("EXTERNAL://0.0.0.0:9094"), std::string::npos) << yaml;
  wait_cluster("tern", "True/Ready");

  // A load balancer's address appears in its Service's status.
  env_.must_edit(res::clusters, "tern", [](json& c) {
    c["spec"]["listeners"]["external"] = {{"type", "LoadBalancer"}, {"port", 9094}};
  });
  auto c = wait_cluster("tern", "False/ExternalAddressPending");
  for (int i = 0; i < 3; ++i) {
    const std::string name = "tern-" + std::to_string(i) + "-external";
    auto svc = *env_.get(res::services, name);
    svc["status"] = {
        {"loadBalancer",
         {{"ingress", json::array({{{"hostname", "lb-" + std::to_string(i) + ".example"}}})}}}};
    ASSERT_TRUE(env_.api.update(res::services, "default", name, svc, "status"));
  }
  EXPECT_TRUE(eventually([&] {
    return addresses() == "0=lb-0.example:9094\n1=lb-1.example:9094\n2=lb-2.example:9094\n";
  })) << addresses();
  wait_cluster("tern", "True/Ready");
}

TEST_F(ClusterReconcilerTest, AnInvalidClusterIsReportedAndNothingIsBuilt) {
  env_.start();
  auto object = cluster_object("solo", 3);
  object["spec"]["metadataStore"] = {{"type", "embedded"}};
  env_.must_create(res::clusters, object);
  auto c = wait_cluster("solo", "False/InvalidSpec");
  EXPECT_EQ(env_.condition(c, "Degraded"), "True/InvalidSpec");
  std::string message;
  for (const auto& cond : c["status"]["conditions"])
    if (cond["type"] == "Degraded") message = cond["message"];
  EXPECT_NE(message.find("spec.metadataStore"), std::string::npos) << message;
  EXPECT_FALSE(env_.get(res::stateful_sets, "solo"));
  EXPECT_TRUE(has_event("solo", "InvalidSpec: "));

  // Fixed: built and reported.
  env_.must_edit(res::clusters, "solo", [](json& c) { c["spec"]["replicas"] = 1; });
  wait_cluster("solo", "False/BrokersNotReady");
  EXPECT_TRUE(env_.get(res::stateful_sets, "solo"));
}

// The value of one series in a Prometheus text scrape ("name{labels}"), or -1 when absent.
double metric_value(const std::string& scrape, const std::string& series) {
  const auto at = scrape.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + series.size() + 2));
}

TEST_F(ClusterReconcilerTest, ConflictsDroppedWatchesAndExpiredHistoryAreSurvived) {
  env_.start();
  env_.run_statefulset_controller();
  // One broker with embedded metadata: its restart needs no broker admin API.
  auto object = cluster_object("tern", 1);
  object["spec"]["metadataStore"] = {{"type", "embedded"}};
  env_.must_create(res::clusters, object);
  wait_cluster("tern", "True/Ready");
  const std::string before = config_hash(*env_.get(res::stateful_sets, "tern"));

  env_.server.fail_next("PUT", "/statefulsets/tern", 409);
  env_.server.fail_next("PUT", "/clusters/tern/status", 409);
  env_.server.compact_history();
  env_.server.drop_watches();
  env_.must_edit(res::clusters, "tern",
                 [](json& c) { c["spec"]["config"]["log.retention.hours"] = "72"; });
  std::string after;
  EXPECT_TRUE(eventually([&] {
    after = config_hash(*env_.get(res::stateful_sets, "tern"));
    return after != before;
  }));
  wait_cluster("tern", "True/Ready");
  auto pod = env_.get(res::pods, "tern-0");
  ASSERT_TRUE(pod);
  EXPECT_EQ((*pod)["metadata"]["annotations"]["tern.dev/config-hash"], after);
  const auto scrape = env_.metrics.scrape();
  EXPECT_GT(metric_value(scrape, "tern_operator_watch_restarts_total{resource=\"clusters\"}"), 0)
      << scrape;
  EXPECT_GT(metric_value(
                scrape, "tern_operator_reconcile_total{controller=\"cluster\",result=\"success\"}"),
            0)
      << scrape;
}

TEST_F(ClusterReconcilerTest, AServiceMonitorIsMadeOnceItsCrdExists) {
  env_.start();
  auto object = cluster_object("tern");
  object["spec"]["metrics"] = {{"serviceMonitor", {{"enabled", true}}}};
  env_.must_create(res::clusters, object);
  auto c = wait_cluster("tern", "False/ServiceMonitorUnavailable");
  EXPECT_EQ(env_.condition(c, "Degraded"), "True/ServiceMonitorUnavailable");

  json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "servicemonitors.monitoring.coreos.com"}}},
      {"spec",
       {{"group", "monitoring.coreos.com"},
        {"scope", "Namespaced"},
        {"names",
         {{"kind", "ServiceMonitor"},
          {"plural", "servicemonitors"},
          {"listKind", "ServiceMonitorList"},
          {"singular", "servicemonitor"}}},
        {"versions", json::array({{{"name", "v1"},
                                   {"served", true},
                                   {"storage", true},
                                   {"schema",
                                    {{"openAPIV3Schema",
                                      {{"type", "object"},
                                       {"x-kubernetes-preserve-unknown-fields", true}}}}}}})}}}};
  ASSERT_TRUE(env_.server.apply_crd(crd));
  EXPECT_TRUE(eventually([&] { return env_.get(res::service_monitors, "tern").has_value(); }));
  c = wait_cluster("tern", "False/BrokersNotReady");
  EXPECT_EQ(env_.condition(c, "Degraded"), "False/AsExpected");

  // Turned off: removed.
  env_.must_edit(res::clusters, "tern",
                 [](json& c) { c["spec"]["metrics"]["serviceMonitor"]["enabled"] = false; });
  EXPECT_TRUE(eventually([&] { return !env_.get(res::service_monitors, "tern").has_value(); }));
}

}  // namespace
}  // namespace tern::op::testing
