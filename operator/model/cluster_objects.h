// What should exist for a Cluster: pure builders from an api::cluster to the Kubernetes objects
// tern-operator creates and keeps in step (no I/O; the reconciler compares and applies them).
//
//   ConfigMap "<c>-config"       broker.yaml (and the rack map, see broker_config.h)
//   Service   "<c>-brokers"      headless, per-broker DNS names, not-ready addresses published
//   Service   "<c>-bootstrap"    ClusterIP, port 9092, for clients' bootstrap.servers
//   StatefulSet "<c>"            the brokers; updateStrategy OnDelete: the operator rolls them
//   PodDisruptionBudget "<c>"    maxUnavailable 1
//   Services  "<c>-<i>-external" per broker, only with spec.listeners.external
//   etcd (etcd_objects.h)        only with metadataStore.type managed
//   ServiceMonitor "<c>"         only with metrics.serviceMonitor.enabled
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/cluster.h"
#include "operator/model/broker_config.h"
#include "operator/model/etcd_objects.h"
#include "operator/model/names.h"
#include "operator/model/operator_defaults.h"

namespace tern::op::model {

struct cluster_objects {
  nlohmann::json config_map, headless_service, bootstrap_service, stateful_set,
      pod_disruption_budget;
  // One per broker when spec.listeners.external is set, else empty.
  std::vector<nlohmann::json> external_services;
  // StatefulSet + headless Service + client Service, empty unless metadataStore.type==managed.
  std::vector<nlohmann::json> etcd_objects;
  std::optional<nlohmann::json> service_monitor;  // only if enabled
};

// `node_racks` (node name -> rack) is written to the ConfigMap's rack map when spec.rack is
// set; see broker_config.h. The StatefulSet's pod template carries kConfigHashAnnotation =
// config_hash(result).
//
// External listener: the brokers serve INTERNAL (pod DNS names) and EXTERNAL listeners; a
// Service per broker (NodePort or LoadBalancer, selecting the pod by
// statefulset.kubernetes.io/pod-name) reaches EXTERNAL, and `external_addresses` (ordinal ->
// host:port, found by the reconciler once Kubernetes allocated them) is written to the ConfigMap
// for the brokers to advertise. Like the rack map it is not part of the config hash.
cluster_objects build_cluster_objects(
    const api::cluster& c, const operator_defaults& defaults,
    const std::map<std::string, std::string>& node_racks = {},
    const std::map<int32_t, std::string>& external_addresses = {});

// FNV-1a 64 (16 hex digits) of the rendered broker.yaml and the broker pod template without its
// own hash annotation: everything whose change needs a broker restart (image, resources,
// command, probes, scheduling, ...). The replica count and the rack map are not in it.
std::string config_hash(const cluster_objects& objects);
// The kConfigHashAnnotation of a Pod, a StatefulSet's pod template or a StatefulSet; empty
// when absent.
std::string config_hash_of(const nlohmann::json& object);

// The broker container's shell command (`sh -c` script): node.id from the pod ordinal,
// advertised.listeners from the per-broker DNS name (and the external address map when
// spec.listeners.external is set), and broker.rack when spec.rack is set.
std::string broker_start_script(const api::cluster& c);

// The image the broker pods run: spec.image, else the operator's default.
std::string broker_image(const api::cluster& c, const operator_defaults& defaults);

}  // namespace tern::op::model
