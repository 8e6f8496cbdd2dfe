// REST paths of Kubernetes resources.
#include "operator/k8s/resource.h"

namespace tern::op::k8s {

std::string resource::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string resource::path(std::string_view ns, std::string_view name,
                           std::string_view subresource) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    p += "/namespaces/";
    p += ns;
  }
  p += "/";
  p += plural;
  if (!name.empty()) {
    p += "/";
    p += name;
    if (!subresource.empty()) {
      p += "/";
      p += subresource;
    }
  }
  return p;
}

namespace resources {
const resource clusters{"tern.dev", "v1alpha1", "clusters", "Cluster", true};
const resource topics{"tern.dev", "v1alpha1", "topics", "Topic", true};
const resource config_maps{"", "v1", "configmaps", "ConfigMap", true};
const resource services{"", "v1", "services", "Service", true};
const resource stateful_sets{"apps", "v1", "statefulsets", "StatefulSet", true};
const resource pod_disruption_budgets{"policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget",
                                      true};
const resource pods{"", "v1", "pods", "Pod", true};
const resource persistent_volume_claims{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim",
                                        true};
const resource events{"", "v1", "events", "Event", true};
const resource leases{"coordination.k8s.io", "v1", "leases", "Lease", true};
const resource nodes{"", "v1", "nodes", "Node", false};
const resource service_monitors{"monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor",
                                true};
const resource custom_resource_definitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
}  // namespace resources

}  // namespace tern::op::k8s
