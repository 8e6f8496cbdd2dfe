// The broker configuration tern-operator writes into each Cluster's ConfigMap (key broker.yaml):
// spec.config without the keys the operator owns, plus the listeners, data directory, metadata
// store and replication defaults it derives from the spec. Per-pod settings (node.id,
// advertised.listeners, broker.rack) are not in it: the container's start command adds them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/api/cluster.h"

namespace tern::op::model {

inline constexpr std::string_view kBrokerConfigKey = "broker.yaml";
// ConfigMap key with one "<node name>=<rack>" line per node a broker runs on (see rack_map).
inline constexpr std::string_view kRackMapKey = "racks";
// ConfigMap key listing each broker's external address ("<ordinal>=host:port" lines) when
// spec.listeners.external is set: known only once Kubernetes allocated the node port or the load
// balancer, so the operator writes it there and the broker's start command waits for its line.
inline constexpr std::string_view kExternalAddressKey = "external-addresses";
inline constexpr std::string_view kConfigMountPath = "/etc/tern/config";
inline constexpr std::string_view kDataMountPath = "/var/lib/tern";
// log.dirs: a directory inside the volume, so that a file system's lost+found is not a log dir.
inline constexpr std::string_view kLogDir = "/var/lib/tern/data";

// "embedded", "etcd://<c>-etcd-client.<ns>.svc:2379" (managed) or "etcd://" + the external
// endpoints joined by ',' with any http:// stripped.
std::string metadata_store_url(const api::cluster& c);
// "/tern/<ns>/<c>": clusters sharing an external etcd stay apart.
std::string metadata_store_prefix(const api::cluster& c);

// The whole configuration as key -> value.
std::map<std::string, std::string> broker_config(const api::cluster& c);
// A flat YAML mapping, keys sorted and values double-quoted, so that equal configurations
// render to equal bytes (the config hash depends on it).
std::string render_broker_yaml(const std::map<std::string, std::string>& config);

// Rack awareness. On Kubernetes 1.24 neither the downward API nor an init container without
// API access can read a node's labels, and the operator may not patch pods (manifests/rbac.yaml
// grants nodes: get, configmaps: update). So the reconciler reads the topology label of each
// node a broker pod is scheduled on (node_rack) and passes node name -> rack to
// build_cluster_objects, which writes them under kRackMapKey in the ConfigMap; the broker's
// start command waits until its node (downward API spec.nodeName) is listed there and adds
// --override broker.rack=<rack>. The rack map is not part of the config hash: a new node must
// not restart brokers.
std::string render_rack_map(const std::map<std::string, std::string>& node_racks);
std::string render_external_addresses(const std::map<int32_t, std::string>& addresses);
// The value of spec.rack.topologyKey among a core/v1 Node's labels; nullopt when the Cluster
// has no rack spec or the node lacks the label.
std::optional<std::string> node_rack(const api::cluster& c, const nlohmann::json& node);
// "broker.rack=<rack>", the override the start command passes.
std::string rack_override(std::string_view rack);

}  // namespace tern::op::model
