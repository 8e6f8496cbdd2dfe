// Names, labels and owner references of the objects built for a Cluster.
#include "operator/model/names.h"

namespace tern::op::model {

using json = nlohmann::json;

std::string stateful_set_name(const api::cluster& c) {
  return c.meta.name;
}
std::string broker_pod_name(const api::cluster& c, int32_t ordinal) {
  return stateful_set_name(c) + "-" + std::to_string(ordinal);
}
std::string headless_service_name(const api::cluster& c) {
  return c.meta.name + "-brokers";
}
std::string bootstrap_service_name(const api::cluster& c) {
  return c.meta.name + "-bootstrap";
}
std::string config_map_name(const api::cluster& c) {
  return c.meta.name + "-config";
}
std::string pod_disruption_budget_name(const api::cluster& c) {
  return c.meta.name;
}
std::string service_monitor_name(const api::cluster& c) {
  return c.meta.name;
}
std::string external_service_name(const api::cluster& c, int32_t ordinal) {
  return broker_pod_name(c, ordinal) + "-external";
}
std::string etcd_stateful_set_name(const api::cluster& c) {
  return c.meta.name + "-etcd";
}
std::string etcd_headless_service_name(const api::cluster& c) {
  return c.meta.name + "-etcd";
}
std::string etcd_client_service_name(const api::cluster& c) {
  return c.meta.name + "-etcd-client";
}
std::string etcd_member_name(const api::cluster& c, int32_t ordinal) {
  return etcd_stateful_set_name(c) + "-" + std::to_string(ordinal);
}
std::string broker_pvc_name(const api::cluster& c, int32_t ordinal) {
  return "data-" + broker_pod_name(c, ordinal);
}

std::string broker_host(const api::cluster& c, int32_t ordinal) {
  return broker_pod_name(c, ordinal) + "." + headless_service_name(c) + "." + c.meta.ns + ".svc";
}

std::string bootstrap_servers(const api::cluster& c) {
  return bootstrap_service_name(c) + "." + c.meta.ns + ".svc:" + std::to_string(kBootstrapPort);
}

std::map<std::string, std::string> selector_labels(const api::cluster& c,
                                                   std::string_view component) {
  return {
      {"app.kubernetes.io/name", "tern"},
      {"app.kubernetes.io/instance", c.meta.name},
      {"app.kubernetes.io/component", std::string(component)},
  };
}

std::map<std::string, std::string> common_labels(const api::cluster& c,
                                                 std::string_view component) {
  auto labels = selector_labels(c, component);
  labels["app.kubernetes.io/managed-by"] = std::string(kManagedBy);
  labels["app.kubernetes.io/part-of"] = "tern";
  return labels;
}

std::string broker_selector_string(const api::cluster& c) {
  std::string out;
  for (const auto& [k, v] : selector_labels(c, kComponentBroker)) {
    if (!out.empty()) out += ",";
    out += k + "=" + v;
  }
  return out;
}

json owner_references(const api::cluster& c) {
  return json::array({{
      {"apiVersion", std::string(api::kApiVersion)},
      {"kind", std::string(api::kClusterKind)},
      {"name", c.meta.name},
      {"uid", c.meta.uid},
      {"controller", true},
      {"blockOwnerDeletion", true},
  }});
}

json object_metadata(const api::cluster& c, const std::string& name, std::string_view component) {
  return {
      {"name", name},
      {"namespace", c.meta.ns},
      {"labels", common_labels(c, component)},
      {"ownerReferences", owner_references(c)},
  };
}

}  // namespace tern::op::model
