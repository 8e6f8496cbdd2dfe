// The Cluster custom resource (tern.dev/v1alpha1): spec, status, parsing with the CRD's
// defaults, and the semantic checks its structural schema cannot express. The CRD in
// charts/tern/crds/tern.dev_clusters.yaml is the contract; every spec field there is here.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/meta.h"

namespace tern::op::api {

inline constexpr std::string_view kClusterKind = "Cluster";
inline constexpr std::string_view kClusterPlural = "clusters";

// The CRD's defaults, applied by parse_cluster when a field is missing.
inline constexpr int32_t kDefaultReplicas = 3;
inline constexpr std::string_view kDefaultImagePullPolicy = "IfNotPresent";
inline constexpr std::string_view kDefaultStorageSize = "10Gi";
inline constexpr int32_t kDefaultInternalPort = 9092;
inline constexpr int32_t kDefaultExternalPort = 9094;
inline constexpr int32_t kDefaultAdminPort = 9644;
inline constexpr int32_t kDefaultEtcdReplicas = 3;
inline constexpr std::string_view kDefaultEtcdStorageSize = "1Gi";
inline constexpr std::string_view kDefaultScrapeInterval = "30s";

struct storage_spec {
  std::string size;
  std::optional<std::string> storage_class_name;
};

enum class external_listener_type { node_port, load_balancer };

struct external_listener_spec {
  external_listener_type type = external_listener_type::node_port;
  int32_t port = kDefaultExternalPort;
  std::optional<int32_t> node_port_base;
  std::optional<std::string> advertised_host;
  std::map<std::string, std::string> annotations;
};

struct listeners_spec {
  int32_t internal_port = kDefaultInternalPort;
  std::optional<external_listener_spec> external;
};

enum class metadata_store_type { managed, external, embedded };

struct managed_metadata_store_spec {
  int32_t replicas = kDefaultEtcdReplicas;
  std::string image;  // empty: the operator's default etcd image
  storage_spec storage{std::string(kDefaultEtcdStorageSize), std::nullopt};
};

struct metadata_store_spec {
  metadata_store_type type = metadata_store_type::managed;
  managed_metadata_store_spec managed;
  std::vector<std::string> external_endpoints;  // spec.metadataStore.external.endpoints
};

struct rack_spec {
  std::string topology_key;
};

struct pod_template_spec {
  std::map<std::string, std::string> labels, annotations, node_selector;
  nlohmann::json affinity;     // a core/v1 Affinity, or null for the operator's default
  nlohmann::json tolerations;  // an array of core/v1 Tolerations, or null
};

struct service_monitor_spec {
  bool enabled = false;
  std::string interval = std::string(kDefaultScrapeInterval);
  std::map<std::string, std::string> labels;
};

struct cluster_spec {
  int32_t replicas = kDefaultReplicas;
  std::string image;  // empty: the operator's default broker image
  std::string image_pull_policy = std::string(kDefaultImagePullPolicy);
  nlohmann::json resources;  // a core/v1 ResourceRequirements, or null
  storage_spec storage{std::string(kDefaultStorageSize), std::nullopt};
  std::map<std::string, std::string> config;
  listeners_spec listeners;
  int32_t admin_port = kDefaultAdminPort;
  metadata_store_spec metadata_store;
  std::optional<rack_spec> rack;
  pod_template_spec pod_template;
  service_monitor_spec service_monitor;  // spec.metrics.serviceMonitor
};

struct broker_status {
  int32_t id = 0;
  std::string host;
  bool ready = false;

  bool operator==(const broker_status&) const = default;
};

struct cluster_status {
  int64_t observed_generation = 0;
  std::vector<condition> conditions;
  int32_t replicas = 0;
  int32_t ready_replicas = 0;
  std::string selector;
  std::string bootstrap_servers;
  std::vector<broker_status> brokers;

  bool operator==(const cluster_status&) const = default;
};

struct cluster {
  object_meta meta;
  cluster_spec spec;
  cluster_status status;
};

// A whole Cluster object as the API server returns it. Defaults are applied here for anything
// missing (an object stored before a CRD upgrade never went through the new defaulting); a
// wrongly typed spec field is an error naming its path, all such errors joined with "; ". The
// status is read leniently: the operator rewrites it, so a malformed status is dropped rather
// than blocking reconciliation.
std::expected<cluster, std::string> parse_cluster(const nlohmann::json& object);

// Rules the schema cannot state (and the schema's own ranges, which an object from before a
// CRD upgrade may break): each entry is "<field path>: <problem>". Empty means valid.
std::vector<std::string> validate(const cluster& c);

// Broker configuration keys the operator sets itself; in spec.config they are ignored.
const std::vector<std::string>& operator_owned_config_keys();
// The keys of spec.config that are ignored because the operator owns them, sorted; the
// reconciler reports them as a warning, they do not make the Cluster invalid.
std::vector<std::string> ignored_config_keys(const cluster& c);

// The replication settings the operator writes into the broker configuration unless spec.config
// sets them: default.replication.factor and offsets.topic.replication.factor min(3, replicas);
// min.insync.replicas 2 from three brokers on, else 1.
std::map<std::string, std::string> default_replication_config(const cluster& c);

std::string_view to_string(metadata_store_type t);
std::string_view to_string(external_listener_type t);

nlohmann::json status_to_json(const cluster_status& status);

}  // namespace tern::op::api
