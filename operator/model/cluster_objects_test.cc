// The builders: names, labels, owner references, the broker StatefulSet's settings, the config
// hash, and the optional objects (etcd, external Services, ServiceMonitor).
#include "operator/model/cluster_objects.h"

#include <gtest/gtest.h>

#include "operator/api/test_yaml.h"
#include "operator/model/test_clusters.h"

namespace tern::op::model {
namespace {

using json = nlohmann::json;
using test::make_cluster;

const operator_defaults kDefaults;

std::vector<json> all_objects(const cluster_objects& o) {
  std::vector<json> out = {o.config_map, o.headless_service, o.bootstrap_service, o.stateful_set,
                           o.pod_disruption_budget};
  out.insert(out.end(), o.external_services.begin(), o.external_services.end());
  out.insert(out.end(), o.etcd_objects.begin(), o.etcd_objects.end());
  if (o.service_monitor) out.push_back(*o.service_monitor);
  return out;
}

const json& pod_spec(const cluster_objects& o) {
  return o.stateful_set["spec"]["template"]["spec"];
}

const json& broker_container(const cluster_objects& o) {
  return pod_spec(o)["containers"][0];
}

api::cluster full_cluster() {
  return make_cluster(
      {{"listeners", {{"external", {{"type", "NodePort"}, {"nodePortBase", 31000}}}}},
       {"metrics", {{"serviceMonitor", {{"enabled", true}, {"labels", {{"release", "prom"}}}}}}}});
}

TEST(ClusterObjects, Names) {
  auto o = build_cluster_objects(full_cluster(), kDefaults);
  EXPECT_EQ(o.stateful_set["metadata"]["name"], "tern");
  EXPECT_EQ(o.headless_service["metadata"]["name"], "tern-brokers");
  EXPECT_EQ(o.bootstrap_service["metadata"]["name"], "tern-bootstrap");
  EXPECT_EQ(o.config_map["metadata"]["name"], "tern-config");
  EXPECT_EQ(o.pod_disruption_budget["metadata"]["name"], "tern");
  ASSERT_EQ(o.etcd_objects.size(), 3u);
  EXPECT_EQ(o.etcd_objects[0]["kind"], "StatefulSet");
  EXPECT_EQ(o.etcd_objects[0]["metadata"]["name"], "tern-etcd");
  EXPECT_EQ(o.etcd_objects[1]["metadata"]["name"], "tern-etcd");
  EXPECT_EQ(o.etcd_objects[2]["metadata"]["name"], "tern-etcd-client");
  ASSERT_TRUE(o.service_monitor);
  EXPECT_EQ((*o.service_monitor)["metadata"]["name"], "tern");
  ASSERT_EQ(o.external_services.size(), 3u);
  EXPECT_EQ(o.external_services[2]["metadata"]["name"], "tern-2-external");

  auto c = full_cluster();
  EXPECT_EQ(broker_pod_name(c, 1), "tern-1");
  EXPECT_EQ(broker_pvc_name(c, 1), "data-tern-1");
  EXPECT_EQ(broker_host(c, 2), "tern-2.tern-brokers.kafka.svc");
  EXPECT_EQ(bootstrap_servers(c), "tern-bootstrap.kafka.svc:9092");
  EXPECT_EQ(broker_selector_string(c),
            "app.kubernetes.io/component=broker,app.kubernetes.io/instance=tern,"
            "app.kubernetes.io/name=tern");
}

TEST(ClusterObjects, LabelsNamespaceAndOwnerOnEverything) {
  auto o = build_cluster_objects(full_cluster(), kDefaults);
  const json owner = {{"apiVersion", "tern.dev/v1alpha1"},
                      {"kind", "Cluster"},
                      {"name", "tern"},
                      {"uid", "uid-1"},
                      {"controller", true},
                      {"blockOwnerDeletion", true}};
  auto objects = all_objects(o);
  EXPECT_EQ(objects.size(), 5u + 3u + 3u + 1u);
  for (const auto& obj : objects) {
    SCOPED_TRACE(obj["kind"].get<std::string>() + " " + obj["metadata"]["name"].get<std::string>());
    const json& md = obj["metadata"];
    EXPECT_EQ(md["namespace"], "kafka");
    EXPECT_EQ(md["ownerReferences"], json::array({owner}));
    const json& labels = md["labels"];
    EXPECT_EQ(labels["app.kubernetes.io/name"], "tern");
    EXPECT_EQ(labels["app.kubernetes.io/instance"], "tern");
    EXPECT_EQ(labels["app.kubernetes.io/managed-by"], "tern-operator");
    EXPECT_EQ(labels["app.kubernetes.io/part-of"], "tern");
    const bool etcd = md["name"].get<std::string>().starts_with("tern-etcd");
    EXPECT_EQ(labels["app.kubernetes.io/component"], etcd ? "etcd" : "broker");
  }
}

TEST(ClusterObjects, SelectorsMatchTheirPods) {
  auto o = build_cluster_objects(full_cluster(), kDefaults);
  const json selector = {{"app.kubernetes.io/name", "tern"},
                         {"app.kubernetes.io/instance", "tern"},
                         {"app.kubernetes.io/component", "broker"}};
  EXPECT_EQ(o.stateful_set["spec"]["selector"]["matchLabels"], selector);
  EXPECT_EQ(o.pod_disruption_budget["spec"]["selector"]["matchLabels"], selector);
  EXPECT_EQ(o.headless_service["spec"]["selector"], selector);
  EXPECT_EQ(o.bootstrap_service["spec"]["selector"], selector);
  const json& pod_labels = o.stateful_set["spec"]["template"]["metadata"]["labels"];
  for (const auto& [k, v] : selector.items()) EXPECT_EQ(pod_labels[k], v);
  const json& etcd_sts = o.etcd_objects[0];
  for (const auto& [k, v] : etcd_sts["spec"]["selector"]["matchLabels"].items())
    EXPECT_EQ(etcd_sts["spec"]["template"]["metadata"]["labels"][k], v);
}

TEST(ClusterObjects, BrokerStatefulSet) {
  auto o = build_cluster_objects(make_cluster({{"replicas", 5}}), kDefaults);
  const json& spec = o.stateful_set["spec"];
  EXPECT_EQ(o.stateful_set["apiVersion"], "apps/v1");
  EXPECT_EQ(spec["replicas"], 5);
  EXPECT_EQ(spec["updateStrategy"], json({{"type", "OnDelete"}}));
  EXPECT_EQ(spec["podManagementPolicy"], "Parallel");
  EXPECT_EQ(spec["serviceName"], "tern-brokers");
  EXPECT_EQ(pod_spec(o)["terminationGracePeriodSeconds"], 60);
  EXPECT_EQ(pod_spec(o)["enableServiceLinks"], false);

  const json& c = broker_container(o);
  EXPECT_EQ(c["name"], "broker");
  EXPECT_EQ(c["image"], "ghcr.io/tern-dev/tern:0.1.0");
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c["command"][0], "sh");
  EXPECT_EQ(c["command"][1], "-c");
  EXPECT_EQ(c["ports"], json::parse(R"([{"name":"kafka","containerPort":9092,"protocol":"TCP"},
                                        {"name":"admin","containerPort":9644,"protocol":"TCP"}])"));
  EXPECT_EQ(c["readinessProbe"]["httpGet"], json({{"path", "/readyz"}, {"port", "admin"}}));
  EXPECT_EQ(c["livenessProbe"]["httpGet"], json({{"path", "/healthz"}, {"port", "admin"}}));
  EXPECT_EQ(c["startupProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_GE(c["livenessProbe"]["failureThreshold"].get<int>(), 3);
  EXPECT_FALSE(c.contains("resources"));

  json mounts = c["volumeMounts"];
  EXPECT_EQ(mounts[0], json({{"name", "data"}, {"mountPath", "/var/lib/tern"}}));
  EXPECT_EQ(mounts[1]["mountPath"], "/etc/tern/config");
  EXPECT_EQ(mounts[1]["readOnly"], true);
  EXPECT_EQ(mounts[2]["mountPath"], "/tmp");
  EXPECT_EQ(pod_spec(o)["volumes"][0]["configMap"]["name"], "tern-config");
  EXPECT_TRUE(pod_spec(o)["volumes"][1].contains("emptyDir"));
}

TEST(ClusterObjects, StartScript) {
  auto o = build_cluster_objects(make_cluster({{"listeners", {{"internal", {{"port", 19092}}}}}}),
                                 kDefaults);
  const std::string script = broker_container(o)["command"][2];
  EXPECT_NE(script.find("ordinal=\"${POD_NAME##*-}\""), std::string::npos) << script;
  EXPECT_NE(script.find("--config /etc/tern/config/broker.yaml"), std::string::npos);
  EXPECT_NE(script.find("--override \"node.id=${ordinal}\""), std::string::npos);
  EXPECT_NE(
      script.find("advertised.listeners=PLAINTEXT://${POD_NAME}.tern-brokers.kafka.svc:19092"),
      std::string::npos);
  EXPECT_NE(script.find("exec tern-broker \"$@\""), std::string::npos);
  EXPECT_EQ(script.find("$("), std::string::npos) << "the kubelet would expand it";
  EXPECT_EQ(script.find("broker.rack"), std::string::npos);
  EXPECT_EQ(broker_container(o)["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
}

TEST(ClusterObjects, RackFromTheRackMap) {
  auto c = make_cluster({{"rack", {{"topologyKey", "topology.kubernetes.io/zone"}}}});
  auto o = build_cluster_objects(c, kDefaults, {{"node-a", "zone-1"}});
  const std::string script = broker_container(o)["command"][2];
  EXPECT_NE(script.find("/etc/tern/config/racks"), std::string::npos) << script;
  EXPECT_NE(script.find("--override \"broker.rack=${rack}\""), std::string::npos);
  EXPECT_EQ(script.find("$("), std::string::npos);
  EXPECT_EQ(broker_container(o)["env"][1]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
  EXPECT_EQ(o.config_map["data"]["racks"], "node-a=zone-1\n");
  // A new node in the map does not restart brokers.
  auto more = build_cluster_objects(c, kDefaults, {{"node-a", "zone-1"}, {"node-b", "zone-2"}});
  EXPECT_EQ(config_hash(more), config_hash(o));
  // Brokers are also spread over racks by default.
  const json& preferred =
      pod_spec(o)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"];
  ASSERT_EQ(preferred.size(), 2u);
  EXPECT_EQ(preferred[1]["podAffinityTerm"]["topologyKey"], "topology.kubernetes.io/zone");
  // No rack: no rack map.
  EXPECT_FALSE(
      build_cluster_objects(make_cluster(), kDefaults).config_map["data"].contains("racks"));
}

TEST(ClusterObjects, VolumeClaimTemplate) {
  auto o = build_cluster_objects(make_cluster(), kDefaults);
  const json& pvc = o.stateful_set["spec"]["volumeClaimTemplates"][0];
  EXPECT_EQ(pvc["metadata"]["name"], "data");
  EXPECT_EQ(pvc["spec"]["accessModes"], json::array({"ReadWriteOnce"}));
  EXPECT_EQ(pvc["spec"]["resources"]["requests"]["storage"], "10Gi");
  EXPECT_FALSE(pvc["spec"].contains("storageClassName"));
  auto fast = build_cluster_objects(
      make_cluster({{"storage", {{"size", "50Gi"}, {"storageClassName", "fast"}}}}), kDefaults);
  const json& fast_pvc = fast.stateful_set["spec"]["volumeClaimTemplates"][0];
  EXPECT_EQ(fast_pvc["spec"]["resources"]["requests"]["storage"], "50Gi");
  EXPECT_EQ(fast_pvc["spec"]["storageClassName"], "fast");
}

TEST(ClusterObjects, SecurityContexts) {
  auto o = build_cluster_objects(make_cluster(), kDefaults);
  const std::vector<const json*> specs = {&pod_spec(o),
                                          &o.etcd_objects[0]["spec"]["template"]["spec"]};
  for (const json* spec : specs) {
    const json& psc = (*spec)["securityContext"];
    EXPECT_EQ(psc["runAsNonRoot"], true);
    EXPECT_EQ(psc["runAsUser"], 10001);
    EXPECT_EQ(psc["runAsGroup"], 10001);
    EXPECT_EQ(psc["fsGroup"], 10001);
    EXPECT_EQ(psc["seccompProfile"]["type"], "RuntimeDefault");
    const json& csc = (*spec)["containers"][0]["securityContext"];
    EXPECT_EQ(csc["allowPrivilegeEscalation"], false);
    EXPECT_EQ(csc["capabilities"]["drop"], json::array({"ALL"}));
    EXPECT_EQ(csc["readOnlyRootFilesystem"], true);
  }
}

TEST(ClusterObjects, PodTemplateOverrides) {
  auto o = build_cluster_objects(make_cluster(), kDefaults);
  const json& affinity = pod_spec(o)["affinity"];
  const json& term =
      affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
  EXPECT_EQ(term["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname");
  EXPECT_EQ(term["podAffinityTerm"]["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"],
            "tern");
  EXPECT_FALSE(pod_spec(o).contains("tolerations"));
  EXPECT_FALSE(pod_spec(o).contains("nodeSelector"));

  const json custom = {{"nodeAffinity",
                        {{"requiredDuringSchedulingIgnoredDuringExecution",
                          {{"nodeSelectorTerms", json::array()}}}}}};
  auto c = make_cluster({{"resources", {{"limits", {{"memory", "2Gi"}}}}},
                         {"image", "my/tern:dev"},
                         {"imagePullPolicy", "Always"},
                         {"podTemplate",
                          {{"labels", {{"team", "data"}, {"app.kubernetes.io/name", "hijack"}}},
                           {"annotations", {{"note", "x"}, {"tern.dev/config-hash", "forged"}}},
                           {"nodeSelector", {{"pool", "kafka"}}},
                           {"affinity", custom},
                           {"tolerations", {{{"key", "dedicated"}, {"operator", "Exists"}}}}}}});
  auto over = build_cluster_objects(c, kDefaults);
  EXPECT_EQ(pod_spec(over)["affinity"], custom);
  EXPECT_EQ(pod_spec(over)["nodeSelector"], json({{"pool", "kafka"}}));
  EXPECT_EQ(pod_spec(over)["tolerations"][0]["key"], "dedicated");
  EXPECT_EQ(broker_container(over)["resources"]["limits"]["memory"], "2Gi");
  EXPECT_EQ(broker_container(over)["image"], "my/tern:dev");
  EXPECT_EQ(broker_container(over)["imagePullPolicy"], "Always");
  const json& md = over.stateful_set["spec"]["template"]["metadata"];
  EXPECT_EQ(md["labels"]["team"], "data");
  EXPECT_EQ(md["labels"]["app.kubernetes.io/name"], "tern");
  EXPECT_EQ(md["annotations"]["note"], "x");
  EXPECT_EQ(md["annotations"]["tern.dev/config-hash"], config_hash(over));
}

TEST(ClusterObjects, ConfigHash) {
  auto base = build_cluster_objects(make_cluster({{"replicas", 3}}), kDefaults);
  const std::string h = config_hash(base);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(config_hash_of(base.stateful_set), h);
  EXPECT_EQ(config_hash_of(base.stateful_set["spec"]["template"]), h);
  EXPECT_EQ(config_hash_of(json::object()), "");
  // Stable.
  EXPECT_EQ(config_hash(build_cluster_objects(make_cluster({{"replicas", 3}}), kDefaults)), h);
  // Not the replica count (5 brokers keep the same replication defaults as 3).
  EXPECT_EQ(config_hash(build_cluster_objects(make_cluster({{"replicas", 5}}), kDefaults)), h);
  // The configuration, the image, the resources.
  EXPECT_NE(config_hash(build_cluster_objects(
                make_cluster({{"config", {{"log.retention.ms", "1000"}}}}), kDefaults)),
            h);
  EXPECT_NE(config_hash(build_cluster_objects(make_cluster({{"image", "other:1"}}), kDefaults)), h);
  operator_defaults other_default;
  other_default.broker_image = "ghcr.io/tern-dev/tern:0.2.0";
  EXPECT_NE(config_hash(build_cluster_objects(make_cluster(), other_default)), h);
  EXPECT_NE(config_hash(build_cluster_objects(
                make_cluster({{"resources", {{"requests", {{"cpu", "1"}}}}}}), kDefaults)),
            h);
  // An owned key in spec.config is ignored, so it does not roll the brokers either.
  EXPECT_EQ(
      config_hash(build_cluster_objects(make_cluster({{"config", {{"node.id", "9"}}}}), kDefaults)),
      h);
}

TEST(ClusterObjects, Services) {
  auto o = build_cluster_objects(make_cluster({{"listeners", {{"internal", {{"port", 19092}}}}}}),
                                 kDefaults);
  const json& headless = o.headless_service["spec"];
  EXPECT_EQ(headless["clusterIP"], "None");
  EXPECT_EQ(headless["publishNotReadyAddresses"], true);
  EXPECT_EQ(headless["ports"][0]["name"], "kafka");
  EXPECT_EQ(headless["ports"][0]["port"], 19092);
  EXPECT_EQ(headless["ports"][1]["name"], "admin");
  EXPECT_EQ(headless["ports"][1]["port"], 9644);
  const json& bootstrap = o.bootstrap_service["spec"];
  EXPECT_EQ(bootstrap["type"], "ClusterIP");
  EXPECT_EQ(bootstrap["ports"], json::parse(R"([{"name":"kafka","port":9092,"targetPort":"kafka",
                                                 "protocol":"TCP"}])"));
  EXPECT_TRUE(o.external_services.empty());
  EXPECT_EQ(o.pod_disruption_budget["spec"]["maxUnavailable"], 1);
  EXPECT_EQ(o.pod_disruption_budget["apiVersion"], "policy/v1");
}

TEST(ClusterObjects, ConfigMapHoldsTheRenderedConfig) {
  auto c = make_cluster({{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}});
  auto o = build_cluster_objects(c, kDefaults);
  EXPECT_EQ(o.config_map["data"]["broker.yaml"], render_broker_yaml(broker_config(c)));
  const std::string yaml = o.config_map["data"]["broker.yaml"];
  EXPECT_NE(yaml.find("metadata.store: \"embedded\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("default.replication.factor: \"1\""), std::string::npos);
  EXPECT_TRUE(o.etcd_objects.empty());
}

TEST(ClusterObjects, EtcdOnlyWhenManaged) {
  EXPECT_EQ(build_cluster_objects(make_cluster(), kDefaults).etcd_objects.size(), 3u);
  EXPECT_TRUE(
      build_cluster_objects(
          make_cluster({{"metadataStore",
                         {{"type", "external"}, {"external", {{"endpoints", {"e:2379"}}}}}}}),
          kDefaults)
          .etcd_objects.empty());
}

TEST(ClusterObjects, EtcdStatefulSet) {
  auto c = make_cluster({{"metadataStore",
                          {{"managed",
                            {{"replicas", 3},
                             {"image", "my/etcd:1"},
                             {"storage", {{"size", "2Gi"}, {"storageClassName", "fast"}}}}}}}});
  auto objects = build_etcd_objects(c, kDefaults);
  const json& sts = objects[0];
  EXPECT_EQ(sts["spec"]["replicas"], 3);
  EXPECT_EQ(sts["spec"]["podManagementPolicy"], "Parallel");
  EXPECT_EQ(sts["spec"]["serviceName"], "tern-etcd");
  const json& container = sts["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"], "my/etcd:1");
  const json& args = container["args"];
  auto has_arg = [&](const std::string& a) {
    return std::find(args.begin(), args.end(), json(a)) != args.end();
  };
  EXPECT_TRUE(has_arg("--name=$(POD_NAME)"));
  EXPECT_TRUE(
      has_arg("--initial-cluster=tern-etcd-0=http://tern-etcd-0.tern-etcd.kafka.svc:2380,"
              "tern-etcd-1=http://tern-etcd-1.tern-etcd.kafka.svc:2380,"
              "tern-etcd-2=http://tern-etcd-2.tern-etcd.kafka.svc:2380"))
      << args.dump(1);
  EXPECT_TRUE(has_arg("--advertise-client-urls=http://$(POD_NAME).tern-etcd.kafka.svc:2379"));
  EXPECT_TRUE(has_arg("--initial-advertise-peer-urls=http://$(POD_NAME).tern-etcd.kafka.svc:2380"));
  EXPECT_TRUE(has_arg("--data-dir=/var/lib/etcd/data"));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/health");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"], "/health?serializable=true");
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/var/lib/etcd");
  const json& pvc = sts["spec"]["volumeClaimTemplates"][0];
  EXPECT_EQ(pvc["spec"]["resources"]["requests"]["storage"], "2Gi");
  EXPECT_EQ(pvc["spec"]["storageClassName"], "fast");

  const json& headless = objects[1]["spec"];
  EXPECT_EQ(headless["clusterIP"], "None");
  EXPECT_EQ(headless["publishNotReadyAddresses"], true);
  EXPECT_EQ(headless["ports"].size(), 2u);
  const json& client = objects[2]["spec"];
  EXPECT_EQ(client["ports"][0]["port"], 2379);
  EXPECT_FALSE(client.contains("clusterIP"));
  // The default image.
  EXPECT_EQ(build_etcd_objects(make_cluster(),
                               kDefaults)[0]["spec"]["template"]["spec"]["containers"][0]["image"],
            "quay.io/coreos/etcd:v3.5.17");
}

TEST(ClusterObjects, ServiceMonitorOnlyWhenEnabled) {
  EXPECT_FALSE(build_cluster_objects(make_cluster(), kDefaults).service_monitor);
  auto o = build_cluster_objects(
      make_cluster(
          {{"metrics",
            {{"serviceMonitor",
              {{"enabled", true}, {"interval", "15s"}, {"labels", {{"release", "prom"}}}}}}}}),
      kDefaults);
  ASSERT_TRUE(o.service_monitor);
  const json& sm = *o.service_monitor;
  EXPECT_EQ(sm["apiVersion"], "monitoring.coreos.com/v1");
  EXPECT_EQ(sm["kind"], "ServiceMonitor");
  EXPECT_EQ(sm["metadata"]["labels"]["release"], "prom");
  EXPECT_EQ(sm["spec"]["endpoints"],
            json::parse(R"([{"port":"admin","path":"/metrics","interval":"15s"}])"));
  EXPECT_EQ(sm["spec"]["namespaceSelector"]["matchNames"], json::array({"kafka"}));
  // It selects the headless Service alone.
  const json& match = sm["spec"]["selector"]["matchLabels"];
  for (const auto& [k, v] : match.items())
    EXPECT_EQ(o.headless_service["metadata"]["labels"][k], v) << k;
  bool bootstrap_matches = true;
  for (const auto& [k, v] : match.items())
    if (o.bootstrap_service["metadata"]["labels"].value(k, "") != v) bootstrap_matches = false;
  EXPECT_FALSE(bootstrap_matches);
}

TEST(ClusterObjects, ExternalServicesPerBroker) {
  auto o = build_cluster_objects(
      make_cluster(
          {{"replicas", 3},
           {"listeners",
            {{"external",
              {{"type", "NodePort"}, {"nodePortBase", 31000}, {"annotations", {{"lb", "x"}}}}}}}}),
      kDefaults);
  ASSERT_EQ(o.external_services.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const json& svc = o.external_services[i];
    EXPECT_EQ(svc["metadata"]["name"], "tern-" + std::to_string(i) + "-external");
    EXPECT_EQ(svc["metadata"]["annotations"]["lb"], "x");
    EXPECT_EQ(svc["spec"]["type"], "NodePort");
    EXPECT_EQ(svc["spec"]["selector"]["statefulset.kubernetes.io/pod-name"],
              "tern-" + std::to_string(i));
    EXPECT_EQ(svc["spec"]["selector"]["app.kubernetes.io/instance"], "tern");
    EXPECT_EQ(svc["spec"]["ports"][0]["port"], 9094);
    EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"], 9094);
    EXPECT_EQ(svc["spec"]["ports"][0]["nodePort"], 31000 + i);
  }
  auto lb = build_cluster_objects(
      make_cluster({{"replicas", 2}, {"listeners", {{"external", {{"type", "LoadBalancer"}}}}}}),
      kDefaults);
  ASSERT_EQ(lb.external_services.size(), 2u);
  EXPECT_EQ(lb.external_services[0]["spec"]["type"], "LoadBalancer");
  EXPECT_FALSE(lb.external_services[0]["spec"]["ports"][0].contains("nodePort"));
}

TEST(ClusterObjects, TheSample) {
  auto docs = api::test::load_yaml_file(api::test::source_path("manifests/samples/cluster.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  docs[0]["metadata"]["uid"] = "u";
  auto c = api::parse_cluster(docs[0]);
  ASSERT_TRUE(c) << c.error();
  auto o = build_cluster_objects(*c, kDefaults);
  EXPECT_EQ(o.stateful_set["spec"]["replicas"], 3);
  EXPECT_EQ(broker_container(o)["resources"]["requests"]["cpu"], "500m");
  const std::string yaml = o.config_map["data"]["broker.yaml"];
  EXPECT_NE(yaml.find("auto.create.topics.enable: \"false\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("metadata.store: \"etcd://tern-etcd-client.default.svc:2379\""),
            std::string::npos);
  EXPECT_EQ(o.etcd_objects.size(), 3u);
  EXPECT_FALSE(o.service_monitor);
}

}  // namespace
}  // namespace tern::op::model

namespace tern::op::model {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// The start command run by a real sh, with a stand-in tern-broker that prints its arguments.
TEST(ClusterObjects, StartScriptRunsInASh) {
  char dir_template[] = "/tmp/tern-model-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  run("printf '#!/bin/sh\\nfor a in \"$@\"; do echo \"[$a]\"; done\\n' > " + dir +
      "/tern-broker && chmod +x " + dir + "/tern-broker");
  auto o = build_cluster_objects(make_cluster(), kDefaults);
  const std::string script = broker_container(o)["command"][2];
  const std::string out =
      run("POD_NAME=tern-12 PATH=" + dir + ":$PATH sh -c " + shell_quote(script) + " 2>&1");
  EXPECT_EQ(
      out,
      "[--config]\n[/etc/tern/config/broker.yaml]\n[--override]\n[node.id=12]\n"
      "[--override]\n[advertised.listeners=PLAINTEXT://tern-12.tern-brokers.kafka.svc:9092]\n");

  auto rack = build_cluster_objects(
      make_cluster({{"rack", {{"topologyKey", "topology.kubernetes.io/zone"}}}}), kDefaults);
  const std::string rack_script = broker_container(rack)["command"][2];
  EXPECT_EQ(run("sh -n -c " + shell_quote(rack_script) + " 2>&1; echo rc=$?"), "rc=0\n");
  // Run it against a rack map of our own in place of the ConfigMap's.
  std::string local = rack_script;
  const std::string racks_path = "/etc/tern/config/racks";
  for (size_t at; (at = local.find(racks_path)) != std::string::npos;)
    local.replace(at, racks_path.size(), dir + "/racks");
  run("printf 'node-b=zone-2\\nnode-a=zone-1\\n' > " + dir + "/racks");
  const std::string rack_out = run("POD_NAME=tern-0 NODE_NAME=node-a PATH=" + dir +
                                   ":$PATH sh -c " + shell_quote(local) + " 2>&1");
  EXPECT_NE(rack_out.find("[node.id=0]\n"), std::string::npos) << rack_out;
  EXPECT_NE(rack_out.find("[--override]\n[broker.rack=zone-1]\n"), std::string::npos) << rack_out;
  run("rm -rf " + dir);
}

// With an external listener: two named listeners, and the start command advertises the address
// the operator wrote for this broker.
TEST(ClusterObjects, ExternalListenerAdvertisesTheAddressFromTheMap) {
  auto c = make_cluster({{"listeners", {{"external", {{"type", "NodePort"}, {"port", 9094}}}}}});
  auto o =
      build_cluster_objects(c, kDefaults, {}, {{0, "203.0.113.7:31000"}, {1, "lb.example:9094"}});
  const std::string yaml = o.config_map["data"]["broker.yaml"];
  EXPECT_NE(yaml.find("INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:9094"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("inter.broker.listener.name"), std::string::npos) << yaml;
  EXPECT_EQ(o.config_map["data"]["external-addresses"], "0=203.0.113.7:31000\n1=lb.example:9094\n");
  EXPECT_EQ(broker_container(o)["ports"][2]["containerPort"], 9094);
  // The addresses are not in the hash: a new load balancer address does not restart brokers.
  EXPECT_EQ(config_hash(o), config_hash(build_cluster_objects(c, kDefaults)));

  char dir_template[] = "/tmp/tern-model-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  run("printf '#!/bin/sh\\nfor a in \"$@\"; do echo \"[$a]\"; done\\n' > " + dir +
      "/tern-broker && chmod +x " + dir + "/tern-broker");
  std::string script = broker_container(o)["command"][2];
  EXPECT_EQ(script.find("$("), std::string::npos) << "the kubelet would expand it";
  const std::string map_path = "/etc/tern/config/external-addresses";
  for (size_t at; (at = script.find(map_path)) != std::string::npos;)
    script.replace(at, map_path.size(), dir + "/addresses");
  run("printf '0=203.0.113.7:31000\\n1=lb.example:9094\\n' > " + dir + "/addresses");
  const std::string out =
      run("POD_NAME=tern-1 PATH=" + dir + ":$PATH sh -c " + shell_quote(script) + " 2>&1");
  EXPECT_NE(out.find("[advertised.listeners=INTERNAL://tern-1.tern-brokers.kafka.svc:9092,"
                     "EXTERNAL://lb.example:9094]"),
            std::string::npos)
      << out;
  run("rm -rf " + dir);
}

}  // namespace
}  // namespace tern::op::model
