// The Kubernetes resources tern-operator reads and writes, and how their REST paths are built.
#pragma once

#include <string>
#include <string_view>

namespace tern::op::k8s {

struct resource {
  std::string group;  // empty for the core ("legacy") API group
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;

  // "v1" for the core group, "group/version" otherwise.
  std::string api_version() const;
  // /api/v1/namespaces/{ns}/{plural}/{name}/{subresource} or /apis/{group}/{version}/...
  // An empty `ns` (or a cluster-scoped resource) leaves the namespace out: for a namespaced
  // resource that addresses all namespaces. Empty `name` gives the collection.
  std::string path(std::string_view ns, std::string_view name = {},
                   std::string_view subresource = {}) const;
};

namespace resources {
extern const resource clusters;  // tern.dev/v1alpha1
extern const resource topics;    // tern.dev/v1alpha1
extern const resource config_maps;
extern const resource services;
extern const resource stateful_sets;
extern const resource pod_disruption_budgets;
extern const resource pods;
extern const resource persistent_volume_claims;
extern const resource events;                       // core/v1
extern const resource leases;                       // coordination.k8s.io/v1
extern const resource nodes;                        // cluster-scoped
extern const resource service_monitors;             // monitoring.coreos.com/v1
extern const resource custom_resource_definitions;  // cluster-scoped
}  // namespace resources

}  // namespace tern::op::k8s
