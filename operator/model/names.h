// The names, labels and owner references of everything tern-operator builds for a Cluster.
// The chart, the README and the samples rely on these names (`<cluster>-bootstrap`), so they
// are fixed here once and the builders and reconcilers use them from here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/api/cluster.h"

namespace tern::op::model {

inline constexpr std::string_view kManagedBy = "tern-operator";
inline constexpr std::string_view kComponentBroker = "broker";
inline constexpr std::string_view kComponentEtcd = "etcd";
// Rolls a broker pod whose annotation differs from its StatefulSet template's.
inline constexpr std::string_view kConfigHashAnnotation = "tern.dev/config-hash";
// The StatefulSet controller's per-pod label, used by the per-broker external Services.
inline constexpr std::string_view kPodNameLabel = "statefulset.kubernetes.io/pod-name";

inline constexpr int32_t kBootstrapPort = 9092;
inline constexpr int32_t kEtcdClientPort = 2379;
inline constexpr int32_t kEtcdPeerPort = 2380;
inline constexpr int32_t kEtcdMetricsPort = 2381;

// Broker StatefulSet "<c>"; its pods are "<c>-0".."<c>-(replicas-1)" and broker i is pod i.
std::string stateful_set_name(const api::cluster& c);
std::string broker_pod_name(const api::cluster& c, int32_t ordinal);
std::string headless_service_name(const api::cluster& c);                   // "<c>-brokers"
std::string bootstrap_service_name(const api::cluster& c);                  // "<c>-bootstrap"
std::string config_map_name(const api::cluster& c);                         // "<c>-config"
std::string pod_disruption_budget_name(const api::cluster& c);              // "<c>"
std::string service_monitor_name(const api::cluster& c);                    // "<c>"
std::string external_service_name(const api::cluster& c, int32_t ordinal);  // "<c>-<i>-external"
std::string etcd_stateful_set_name(const api::cluster& c);                  // "<c>-etcd"
std::string etcd_headless_service_name(const api::cluster& c);              // "<c>-etcd"
std::string etcd_client_service_name(const api::cluster& c);                // "<c>-etcd-client"
std::string etcd_member_name(const api::cluster& c, int32_t ordinal);       // "<c>-etcd-<i>"
// The PVC a broker pod's data lives on: "data-<c>-<i>" (volumeClaimTemplate "data").
std::string broker_pvc_name(const api::cluster& c, int32_t ordinal);

// "<c>-<i>.<c>-brokers.<ns>.svc": the per-broker DNS name the broker advertises.
std::string broker_host(const api::cluster& c, int32_t ordinal);
// "<c>-bootstrap.<ns>.svc:9092", for status.bootstrapServers.
std::string bootstrap_servers(const api::cluster& c);

// name, instance, component: what selectors match.
std::map<std::string, std::string> selector_labels(const api::cluster& c,
                                                   std::string_view component);
// The selector labels plus managed-by and part-of: what every built object carries.
std::map<std::string, std::string> common_labels(const api::cluster& c, std::string_view component);
// The broker pods' selector as a string ("k=v,k=v", keys sorted) for status.selector.
std::string broker_selector_string(const api::cluster& c);

// [{apiVersion tern.dev/v1alpha1, kind Cluster, name, uid, controller, blockOwnerDeletion}].
nlohmann::json owner_references(const api::cluster& c);
// {name, namespace, labels, ownerReferences} for an object built for `c`.
nlohmann::json object_metadata(const api::cluster& c, const std::string& name,
                               std::string_view component);

}  // namespace tern::op::model
