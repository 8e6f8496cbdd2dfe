// The broker objects of a Cluster: ConfigMap, Services, StatefulSet, PDB, external Services,
// ServiceMonitor; the etcd objects come from etcd_objects.cc.
#include "operator/model/cluster_objects.h"

#include <cstdint>
#include <cstdio>

#include "operator/model/pod_security.h"

namespace tern::op::model {

using json = nlohmann::json;

namespace {

constexpr std::string_view kServiceRoleLabel = "tern.dev/service";
constexpr int kRackWaitSeconds = 300;

std::string fnv1a64_hex(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : data) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

json service_metadata(const api::cluster& c, const std::string& name, std::string_view role) {
  json md = object_metadata(c, name, kComponentBroker);
  md["labels"][std::string(kServiceRoleLabel)] = std::string(role);
  return md;
}

json build_config_map(const api::cluster& c, const std::map<std::string, std::string>& racks,
                      const std::map<int32_t, std::string>& external_addresses) {
  json data = {{std::string(kBrokerConfigKey), render_broker_yaml(broker_config(c))}};
  if (c.spec.rack) data[std::string(kRackMapKey)] = render_rack_map(racks);
  if (c.spec.listeners.external)
    data[std::string(kExternalAddressKey)] = render_external_addresses(external_addresses);
  return {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", object_metadata(c, config_map_name(c), kComponentBroker)},
      {"data", std::move(data)},
  };
}

json build_headless_service(const api::cluster& c) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", service_metadata(c, headless_service_name(c), "brokers")},
      {"spec",
       {{"clusterIP", "None"},
        // Brokers find each other (and the operator finds them) before they are ready.
        {"publishNotReadyAddresses", true},
        {"selector", selector_labels(c, kComponentBroker)},
        {"ports", json::array({{{"name", "kafka"},
                                {"port", c.spec.listeners.internal_port},
                                {"targetPort", "kafka"},
                                {"protocol", "TCP"}},
                               {{"name", "admin"},
                                {"port", c.spec.admin_port},
                                {"targetPort", "admin"},
                                {"protocol", "TCP"}}})}}},
  };
}

json build_bootstrap_service(const api::cluster& c) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", service_metadata(c, bootstrap_service_name(c), "bootstrap")},
      {"spec",
       {{"type", "ClusterIP"},
        {"selector", selector_labels(c, kComponentBroker)},
        {"ports", json::array({{{"name", "kafka"},
                                {"port", kBootstrapPort},
                                {"targetPort", "kafka"},
                                {"protocol", "TCP"}}})}}},
  };
}

json build_pdb(const api::cluster& c) {
  return {
      {"apiVersion", "policy/v1"},
      {"kind", "PodDisruptionBudget"},
      {"metadata", object_metadata(c, pod_disruption_budget_name(c), kComponentBroker)},
      {"spec",
       {{"maxUnavailable", 1},
        {"selector", {{"matchLabels", selector_labels(c, kComponentBroker)}}}}},
  };
}

json default_affinity(const api::cluster& c) {
  auto term = [&](const std::string& topology_key, int weight) {
    return json{{"weight", weight},
                {"podAffinityTerm",
                 {{"topologyKey", topology_key},
                  {"labelSelector", {{"matchLabels", selector_labels(c, kComponentBroker)}}}}}};
  };
  json preferred = json::array({term("kubernetes.io/hostname", 100)});
  // With racks, also spread brokers over them, so that rack-aware placement has racks to use.
  if (c.spec.rack) preferred.push_back(term(c.spec.rack->topology_key, 50));
  return {{"podAntiAffinity", {{"preferredDuringSchedulingIgnoredDuringExecution", preferred}}}};
}

json http_probe(const std::string& path, int period, int timeout, int failures) {
  return {
      {"httpGet", {{"path", path}, {"port", "admin"}}},
      {"periodSeconds", period},
      {"timeoutSeconds", timeout},
      {"failureThreshold", failures},
  };
}

json env_from_field(const std::string& name, const std::string& field_path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", field_path}}}}}};
}

json build_pod_template(const api::cluster& c, const operator_defaults& defaults) {
  json env = json::array({env_from_field("POD_NAME", "metadata.name")});
  if (c.spec.rack) env.push_back(env_from_field("NODE_NAME", "spec.nodeName"));

  json container = {
      {"name", "broker"},
      {"image", broker_image(c, defaults)},
      {"imagePullPolicy", c.spec.image_pull_policy},
      {"command", json::array({"sh", "-c", broker_start_script(c)})},
      {"env", std::move(env)},
      {"ports",
       json::array(
           {{{"name", "kafka"},
             {"containerPort", c.spec.listeners.internal_port},
             {"protocol", "TCP"}},
            {{"name", "admin"}, {"containerPort", c.spec.admin_port}, {"protocol", "TCP"}}})},
      // Ready means the broker has joined the cluster and serves; the bootstrap Service and
      // the operator's rolling restarts both wait for it.
      {"readinessProbe", http_probe("/readyz", 10, 5, 3)},
      {"livenessProbe", http_probe("/healthz", 10, 5, 6)},
      // Startup recovery scans unflushed segments: allow up to 10 minutes before liveness.
      {"startupProbe", http_probe("/healthz", 5, 5, 120)},
      {"securityContext", container_security_context()},
      {"volumeMounts",
       json::array({
           {{"name", "data"}, {"mountPath", std::string(kDataMountPath)}},
           {{"name", "config"}, {"mountPath", std::string(kConfigMountPath)}, {"readOnly", true}},
           {{"name", "tmp"}, {"mountPath", "/tmp"}},
       })},
  };
  if (c.spec.listeners.external)
    container["ports"].push_back({{"name", "external"},
                                  {"containerPort", c.spec.listeners.external->port},
                                  {"protocol", "TCP"}});
  if (c.spec.resources.is_object() && !c.spec.resources.empty())
    container["resources"] = c.spec.resources;

  json pod_spec = {
      {"securityContext", pod_security_context()},
      // The broker never calls the Kubernetes API.
      {"automountServiceAccountToken", false},
      // Service links would put TERN_* variables (from Services named tern-...) into the
      // environment, which the broker reads as configuration.
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", 60},
      {"affinity", c.spec.pod_template.affinity.is_object() ? c.spec.pod_template.affinity
                                                            : default_affinity(c)},
      {"containers", json::array({std::move(container)})},
      {"volumes", json::array({{{"name", "config"}, {"configMap", {{"name", config_map_name(c)}}}},
                               {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "64Mi"}}}}})},
  };
  if (!c.spec.pod_template.node_selector.empty())
    pod_spec["nodeSelector"] = c.spec.pod_template.node_selector;
  if (c.spec.pod_template.tolerations.is_array() && !c.spec.pod_template.tolerations.empty())
    pod_spec["tolerations"] = c.spec.pod_template.tolerations;

  // The user's labels and annotations first, so that they cannot replace the operator's.
  json labels = c.spec.pod_template.labels;
  if (labels.is_null()) labels = json::object();
  for (const auto& [k, v] : common_labels(c, kComponentBroker)) labels[k] = v;
  json metadata = {{"labels", std::move(labels)}};
  if (!c.spec.pod_template.annotations.empty())
    metadata["annotations"] = c.spec.pod_template.annotations;
  return {{"metadata", std::move(metadata)}, {"spec", std::move(pod_spec)}};
}

json build_pvc_template(const api::cluster& c) {
  json spec = {
      {"accessModes", json::array({"ReadWriteOnce"})},
      {"resources", {{"requests", {{"storage", c.spec.storage.size}}}}},
  };
  if (c.spec.storage.storage_class_name)
    spec["storageClassName"] = *c.spec.storage.storage_class_name;
  return {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", {{"name", "data"}, {"labels", selector_labels(c, kComponentBroker)}}},
      {"spec", std::move(spec)},
  };
}

json build_stateful_set(const api::cluster& c, const operator_defaults& defaults) {
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", object_metadata(c, stateful_set_name(c), kComponentBroker)},
      {"spec",
       {{"replicas", c.spec.replicas},
        {"serviceName", headless_service_name(c)},
        {"podManagementPolicy", "Parallel"},
        // The operator restarts brokers itself, one at a time and only while every partition
        // keeps min.insync.replicas (ARCHITECTURE.md, decision 8).
        {"updateStrategy", {{"type", "OnDelete"}}},
        {"selector", {{"matchLabels", selector_labels(c, kComponentBroker)}}},
        {"template", build_pod_template(c, defaults)},
        {"volumeClaimTemplates", json::array({build_pvc_template(c)})}}},
  };
}

std::vector<json> build_external_services(const api::cluster& c) {
  std::vector<json> out;
  const auto& ex = c.spec.listeners.external;
  if (!ex) return out;
  for (int32_t i = 0; i < c.spec.replicas; ++i) {
    json md = service_metadata(c, external_service_name(c, i), "external");
    if (!ex->annotations.empty()) md["annotations"] = ex->annotations;
    json selector = selector_labels(c, kComponentBroker);
    selector[std::string(kPodNameLabel)] = broker_pod_name(c, i);
    json port = {
        {"name", "external"}, {"port", ex->port}, {"targetPort", ex->port}, {"protocol", "TCP"}};
    if (ex->type == api::external_listener_type::node_port && ex->node_port_base)
      port["nodePort"] = *ex->node_port_base + i;
    out.push_back({
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", std::move(md)},
        {"spec",
         {{"type", std::string(api::to_string(ex->type))},
          {"selector", std::move(selector)},
          {"ports", json::array({std::move(port)})}}},
    });
  }
  return out;
}

json build_service_monitor(const api::cluster& c) {
  json md = object_metadata(c, service_monitor_name(c), kComponentBroker);
  for (const auto& [k, v] : c.spec.service_monitor.labels) {
    if (!md["labels"].contains(k)) md["labels"][k] = v;
  }
  // Only the headless Service: the bootstrap Service reaches the same pods, and selecting both
  // would scrape every broker twice.
  json match = selector_labels(c, kComponentBroker);
  match[std::string(kServiceRoleLabel)] = "brokers";
  return {
      {"apiVersion", "monitoring.coreos.com/v1"},
      {"kind", "ServiceMonitor"},
      {"metadata", std::move(md)},
      {"spec",
       {{"selector", {{"matchLabels", std::move(match)}}},
        {"namespaceSelector", {{"matchNames", json::array({c.meta.ns})}}},
        {"endpoints", json::array({{{"port", "admin"},
                                    {"path", "/metrics"},
                                    {"interval", c.spec.service_monitor.interval}}})}}},
  };
}

}  // namespace

std::string broker_image(const api::cluster& c, const operator_defaults& defaults) {
  return c.spec.image.empty() ? defaults.broker_image : c.spec.image;
}

std::string broker_start_script(const api::cluster& c) {
  const std::string config = std::string(kConfigMountPath) + "/" + std::string(kBrokerConfigKey);
  const bool external = c.spec.listeners.external.has_value();
  const std::string internal = std::string(external ? "INTERNAL" : "PLAINTEXT") +
                               "://${POD_NAME}." + headless_service_name(c) + "." + c.meta.ns +
                               ".svc:" + std::to_string(c.spec.listeners.internal_port);
  // No "$(" anywhere: the kubelet would try to expand it as a variable reference.
  std::string s =
      "set -eu\n"
      "# Broker i is pod <cluster>-i: node.id is the StatefulSet ordinal.\n"
      "ordinal=\"${POD_NAME##*-}\"\n";
  std::string advertised = internal;
  if (external) {
    const std::string addresses =
        std::string(kConfigMountPath) + "/" + std::string(kExternalAddressKey);
    s += "# The external address: the operator lists each broker's node port or load balancer\n"
         "# address in " +
         addresses +
         " once Kubernetes has allocated it.\n"
         "external=\"\"\n"
         "waited=0\n"
         "while :; do\n"
         "  if [ -f " +
         addresses +
         " ]; then\n"
         "    while IFS='=' read -r broker address; do\n"
         "      if [ \"$broker\" = \"$ordinal\" ]; then external=\"$address\"; fi\n"
         "    done < " +
         addresses +
         "\n"
         "  fi\n"
         "  if [ -n \"$external\" ]; then break; fi\n"
         "  if [ \"$waited\" -ge " +
         std::to_string(kRackWaitSeconds) +
         " ]; then\n"
         "    echo \"tern: broker $ordinal has no external address in " +
         addresses +
         "\" >&2\n"
         "    exit 1\n"
         "  fi\n"
         "  sleep 2\n"
         "  waited=`expr \"$waited\" + 2`\n"
         "done\n";
    advertised += ",EXTERNAL://${external}";
  }
  s += "set -- --config " + config +
       " --override \"node.id=${ordinal}\" --override \"advertised.listeners=" + advertised +
       "\"\n";
  if (c.spec.rack) {
    const std::string racks = std::string(kConfigMountPath) + "/" + std::string(kRackMapKey);
    s += "# broker.rack: the operator lists this node's " + c.spec.rack->topology_key +
         " label in " + racks +
         " once the pod is scheduled.\n"
         "rack=\"\"\n"
         "waited=0\n"
         "while :; do\n"
         "  if [ -f " +
         racks +
         " ]; then\n"
         "    while IFS='=' read -r node value; do\n"
         "      if [ \"$node\" = \"$NODE_NAME\" ]; then rack=\"$value\"; fi\n"
         "    done < " +
         racks +
         "\n"
         "  fi\n"
         "  if [ -n \"$rack\" ]; then break; fi\n"
         "  if [ \"$waited\" -ge " +
         std::to_string(kRackWaitSeconds) +
         " ]; then\n"
         "    echo \"tern: node $NODE_NAME has no rack in " +
         racks +
         "\" >&2\n"
         "    exit 1\n"
         "  fi\n"
         "  sleep 2\n"
         "  waited=`expr \"$waited\" + 2`\n"
         "done\n"
         "set -- \"$@\" --override \"broker.rack=${rack}\"\n";
  }
  s += "exec tern-broker \"$@\"\n";
  return s;
}

std::string config_hash(const cluster_objects& objects) {
  std::string input;
  if (auto data = objects.config_map.find("data"); data != objects.config_map.end()) {
    if (auto yaml = data->find(std::string(kBrokerConfigKey));
        yaml != data->end() && yaml->is_string())
      input += yaml->get<std::string>();
  }
  input += '\0';
  json tmpl = objects.stateful_set.value("/spec/template"_json_pointer, json::object());
  if (auto md = tmpl.find("metadata"); md != tmpl.end()) {
    if (auto ann = md->find("annotations"); ann != md->end() && ann->is_object()) {
      ann->erase(std::string(kConfigHashAnnotation));
      if (ann->empty()) md->erase("annotations");
    }
  }
  input += tmpl.dump();  // nlohmann::json objects are sorted by key: a stable rendering
  return fnv1a64_hex(input);
}

std::string config_hash_of(const json& object) {
  const json* md = nullptr;
  if (object.contains("/spec/template/metadata"_json_pointer))
    md = &object.at("/spec/template/metadata"_json_pointer);
  else if (object.contains("/metadata"_json_pointer))
    md = &object.at("/metadata"_json_pointer);
  if (md == nullptr || !md->is_object()) return "";
  auto ann = md->find("annotations");
  if (ann == md->end() || !ann->is_object()) return "";
  auto it = ann->find(std::string(kConfigHashAnnotation));
  if (it == ann->end() || !it->is_string()) return "";
  return it->get<std::string>();
}

cluster_objects build_cluster_objects(const api::cluster& c, const operator_defaults& defaults,
                                      const std::map<std::string, std::string>& node_racks,
                                      const std::map<int32_t, std::string>& external_addresses) {
  cluster_objects out;
  out.config_map = build_config_map(c, node_racks, external_addresses);
  out.headless_service = build_headless_service(c);
  out.bootstrap_service = build_bootstrap_service(c);
  out.stateful_set = build_stateful_set(c, defaults);
  out.pod_disruption_budget = build_pdb(c);
  out.external_services = build_external_services(c);
  if (c.spec.metadata_store.type == api::metadata_store_type::managed)
    out.etcd_objects = build_etcd_objects(c, defaults);
  if (c.spec.service_monitor.enabled) out.service_monitor = build_service_monitor(c);
  out.stateful_set["spec"]["template"]["metadata"]["annotations"]
                  [std::string(kConfigHashAnnotation)] = config_hash(out);
  return out;
}

}  // namespace tern::op::model
