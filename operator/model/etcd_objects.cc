// The etcd StatefulSet and Services of a Cluster with a managed metadata store.
#include "operator/model/etcd_objects.h"

#include "operator/model/names.h"
#include "operator/model/pod_security.h"

namespace tern::op::model {

using json = nlohmann::json;

namespace {

std::string member_host(const api::cluster& c, const std::string& member) {
  return member + "." + etcd_headless_service_name(c) + "." + c.meta.ns + ".svc";
}

json etcd_pvc_template(const api::cluster& c) {
  const auto& storage = c.spec.metadata_store.managed.storage;
  json spec = {
      {"accessModes", json::array({"ReadWriteOnce"})},
      {"resources", {{"requests", {{"storage", storage.size}}}}},
  };
  if (storage.storage_class_name) spec["storageClassName"] = *storage.storage_class_name;
  return {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", {{"name", "data"}, {"labels", selector_labels(c, kComponentEtcd)}}},
      {"spec", std::move(spec)},
  };
}

json http_probe(const std::string& path, int period, int failures) {
  return {
      {"httpGet", {{"path", path}, {"port", "metrics"}}},
      {"periodSeconds", period},
      {"timeoutSeconds", 5},
      {"failureThreshold", failures},
  };
}

json etcd_stateful_set(const api::cluster& c, const operator_defaults& defaults) {
  const auto& managed = c.spec.metadata_store.managed;
  const std::string image = managed.image.empty() ? defaults.etcd_image : managed.image;
  // $(POD_NAME) is expanded by the kubelet from the env below: the etcd image has no shell.
  const std::string self =
      "$(POD_NAME)." + etcd_headless_service_name(c) + "." + c.meta.ns + ".svc";
  json args = json::array({
      "--name=$(POD_NAME)",
      "--data-dir=/var/lib/etcd/data",
      "--listen-client-urls=http://0.0.0.0:" + std::to_string(kEtcdClientPort),
      "--advertise-client-urls=http://" + self + ":" + std::to_string(kEtcdClientPort),
      "--listen-peer-urls=http://0.0.0.0:" + std::to_string(kEtcdPeerPort),
      "--initial-advertise-peer-urls=http://" + self + ":" + std::to_string(kEtcdPeerPort),
      "--listen-metrics-urls=http://0.0.0.0:" + std::to_string(kEtcdMetricsPort),
      "--initial-cluster=" + etcd_initial_cluster(c),
      "--initial-cluster-token=tern-" + c.meta.ns + "-" + c.meta.name,
      "--initial-cluster-state=new",
      // Brokers rewrite partition state often; old revisions are not needed.
      "--auto-compaction-mode=periodic",
      "--auto-compaction-retention=1h",
  });
  json container = {
      {"name", "etcd"},
      {"image", image},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", json::array({"/usr/local/bin/etcd"})},
      {"args", std::move(args)},
      {"env", json::array({{{"name", "POD_NAME"},
                            {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}})},
      {"ports", json::array({
                    {{"name", "client"}, {"containerPort", kEtcdClientPort}, {"protocol", "TCP"}},
                    {{"name", "peer"}, {"containerPort", kEtcdPeerPort}, {"protocol", "TCP"}},
                    {{"name", "metrics"}, {"containerPort", kEtcdMetricsPort}, {"protocol", "TCP"}},
                })},
      // /health fails while the member has no leader; only readiness should see that. Liveness
      // asks the member alone (serializable), so a lost quorum does not restart every member.
      {"readinessProbe", http_probe("/health", 10, 3)},
      {"livenessProbe", http_probe("/health?serializable=true", 10, 6)},
      {"startupProbe", http_probe("/health?serializable=true", 5, 60)},
      {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}},
      {"securityContext", container_security_context()},
      {"volumeMounts", json::array({{{"name", "data"}, {"mountPath", "/var/lib/etcd"}}})},
  };
  const auto labels = common_labels(c, kComponentEtcd);
  json pod_spec = {
      {"securityContext", pod_security_context()},
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", 30},
      {"affinity",
       {{"podAntiAffinity",
         {{"preferredDuringSchedulingIgnoredDuringExecution",
           json::array({{{"weight", 100},
                         {"podAffinityTerm",
                          {{"topologyKey", "kubernetes.io/hostname"},
                           {"labelSelector",
                            {{"matchLabels", selector_labels(c, kComponentEtcd)}}}}}}})}}}}},
      {"containers", json::array({std::move(container)})},
  };
  if (!c.spec.pod_template.node_selector.empty())
    pod_spec["nodeSelector"] = c.spec.pod_template.node_selector;
  if (c.spec.pod_template.tolerations.is_array() && !c.spec.pod_template.tolerations.empty())
    pod_spec["tolerations"] = c.spec.pod_template.tolerations;
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", object_metadata(c, etcd_stateful_set_name(c), kComponentEtcd)},
      {"spec",
       {{"replicas", managed.replicas},
        {"serviceName", etcd_headless_service_name(c)},
        {"podManagementPolicy", "Parallel"},
        {"updateStrategy", {{"type", "RollingUpdate"}}},
        {"selector", {{"matchLabels", selector_labels(c, kComponentEtcd)}}},
        {"template", {{"metadata", {{"labels", labels}}}, {"spec", std::move(pod_spec)}}},
        {"volumeClaimTemplates", json::array({etcd_pvc_template(c)})}}},
  };
}

json etcd_service(const api::cluster& c, bool headless) {
  json ports = json::array({{{"name", "client"},
                             {"port", kEtcdClientPort},
                             {"targetPort", "client"},
                             {"protocol", "TCP"}}});
  json spec = {{"selector", selector_labels(c, kComponentEtcd)}};
  if (headless) {
    ports.push_back(
        {{"name", "peer"}, {"port", kEtcdPeerPort}, {"targetPort", "peer"}, {"protocol", "TCP"}});
    spec["clusterIP"] = "None";
    // Members must resolve each other before any is ready: readiness needs a quorum.
    spec["publishNotReadyAddresses"] = true;
  } else {
    spec["type"] = "ClusterIP";
  }
  spec["ports"] = std::move(ports);
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       object_metadata(c, headless ? etcd_headless_service_name(c) : etcd_client_service_name(c),
                       kComponentEtcd)},
      {"spec", std::move(spec)},
  };
}

}  // namespace

std::string etcd_initial_cluster(const api::cluster& c) {
  std::string out;
  for (int32_t i = 0; i < c.spec.metadata_store.managed.replicas; ++i) {
    const std::string member = etcd_member_name(c, i);
    if (!out.empty()) out += ",";
    out += member + "=http://" + member_host(c, member) + ":" + std::to_string(kEtcdPeerPort);
  }
  return out;
}

std::vector<json> build_etcd_objects(const api::cluster& c, const operator_defaults& defaults) {
  return {etcd_stateful_set(c, defaults), etcd_service(c, true), etcd_service(c, false)};
}

}  // namespace tern::op::model
