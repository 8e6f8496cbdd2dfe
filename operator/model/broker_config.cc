// Rendering of the broker configuration and the rack map of a Cluster's ConfigMap.
#include "operator/model/broker_config.h"

#include "operator/model/names.h"

namespace tern::op::model {

using json = nlohmann::json;

namespace {

bool plain_key(std::string_view key) {
  if (key.empty()) return false;
  for (char ch : key) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// A JSON string literal is a valid YAML double-quoted scalar.
std::string yaml_quoted(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string metadata_store_url(const api::cluster& c) {
  const auto& store = c.spec.metadata_store;
  switch (store.type) {
    case api::metadata_store_type::embedded:
      return "embedded";
    case api::metadata_store_type::managed:
      return "etcd://" + etcd_client_service_name(c) + "." + c.meta.ns +
             ".svc:" + std::to_string(kEtcdClientPort);
    case api::metadata_store_type::external: {
      std::string out = "etcd://";
      bool first = true;
      for (std::string ep : store.external_endpoints) {
        if (ep.starts_with("http://")) ep = ep.substr(7);
        if (!first) out += ",";
        out += ep;
        first = false;
      }
      return out;
    }
  }
  return "embedded";
}

std::string metadata_store_prefix(const api::cluster& c) {
  return "/tern/" + c.meta.ns + "/" + c.meta.name;
}

std::map<std::string, std::string> broker_config(const api::cluster& c) {
  std::map<std::string, std::string> out = api::default_replication_config(c);
  for (const auto& [k, v] : c.spec.config) out[k] = v;
  for (const auto& owned : api::operator_owned_config_keys()) out.erase(owned);
  if (const auto& ex = c.spec.listeners.external) {
    // Clients inside Kubernetes and the brokers themselves use INTERNAL; EXTERNAL advertises
    // the node port or load balancer address (the start command adds it).
    out["listeners"] = "INTERNAL://0.0.0.0:" + std::to_string(c.spec.listeners.internal_port) +
                       ",EXTERNAL://0.0.0.0:" + std::to_string(ex->port);
    out["listener.security.protocol.map"] = "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT";
    out["inter.broker.listener.name"] = "INTERNAL";
  } else {
    out["listeners"] = "PLAINTEXT://0.0.0.0:" + std::to_string(c.spec.listeners.internal_port);
  }
  out["admin.listeners"] = "http://0.0.0.0:" + std::to_string(c.spec.admin_port);
  out["log.dirs"] = std::string(kLogDir);
  out["metadata.store"] = metadata_store_url(c);
  if (c.spec.metadata_store.type != api::metadata_store_type::embedded)
    out["metadata.store.prefix"] = metadata_store_prefix(c);
  return out;
}

std::string render_broker_yaml(const std::map<std::string, std::string>& config) {
  std::string out =
      "# Written by tern-operator from the Cluster's spec; edits here are overwritten.\n";
  for (const auto& [k, v] : config) {
    out += plain_key(k) ? k : yaml_quoted(k);
    out += ": ";
    out += yaml_quoted(v);
    out += "\n";
  }
  return out;
}

std::string render_external_addresses(const std::map<int32_t, std::string>& addresses) {
  std::string out;
  for (const auto& [ordinal, address] : addresses)
    out += std::to_string(ordinal) + "=" + address + "\n";
  return out;
}

std::string render_rack_map(const std::map<std::string, std::string>& node_racks) {
  std::string out;
  for (const auto& [node, rack] : node_racks) out += node + "=" + rack + "\n";
  return out;
}

std::optional<std::string> node_rack(const api::cluster& c, const json& node) {
  if (!c.spec.rack) return std::nullopt;
  const json* labels = nullptr;
  if (auto md = node.find("metadata"); md != node.end() && md->is_object()) {
    if (auto l = md->find("labels"); l != md->end() && l->is_object()) labels = &*l;
  }
  if (labels == nullptr) return std::nullopt;
  auto it = labels->find(c.spec.rack->topology_key);
  if (it == labels->end() || !it->is_string() || it->get<std::string>().empty())
    return std::nullopt;
  return it->get<std::string>();
}

std::string rack_override(std::string_view rack) {
  return "broker.rack=" + std::string(rack);
}

}  // namespace tern::op::model
