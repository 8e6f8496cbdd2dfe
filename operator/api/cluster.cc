// Cluster: parsing with the CRD's defaults, semantic validation, status encoding.
#include "operator/api/cluster.h"

#include <algorithm>
#include <regex>

#include "common/config_map.h"
#include "operator/api/field_reader.h"

namespace tern::op::api {

using json = nlohmann::json;
using detail::field_reader;

namespace {

void read_storage(field_reader& r, const json& parent, const std::string& path, storage_spec& out) {
  const json* s = r.object(parent, "storage", path);
  if (s == nullptr) return;
  r.string(*s, "size", path + ".size", out.size);
  r.optional_string(*s, "storageClassName", path + ".storageClassName", out.storage_class_name);
}

void read_listeners(field_reader& r, const json& spec, listeners_spec& out) {
  const json* l = r.object(spec, "listeners", "spec.listeners");
  if (l == nullptr) return;
  if (const json* in = r.object(*l, "internal", "spec.listeners.internal"))
    r.integer(*in, "port", "spec.listeners.internal.port", out.internal_port);
  const json* ex = r.object(*l, "external", "spec.listeners.external");
  if (ex == nullptr) return;
  external_listener_spec e;
  std::string type;
  r.string(*ex, "type", "spec.listeners.external.type", type);
  if (type == "NodePort") {
    e.type = external_listener_type::node_port;
  } else if (type == "LoadBalancer") {
    e.type = external_listener_type::load_balancer;
  } else if (type.empty()) {
    r.fail("spec.listeners.external.type", "Required value");
  } else {
    r.fail("spec.listeners.external.type",
           "Unsupported value \"" + type + "\": expected NodePort or LoadBalancer");
  }
  r.integer(*ex, "port", "spec.listeners.external.port", e.port);
  r.optional_integer(*ex, "nodePortBase", "spec.listeners.external.nodePortBase", e.node_port_base);
  r.optional_string(*ex, "advertisedHost", "spec.listeners.external.advertisedHost",
                    e.advertised_host);
  r.string_map(*ex, "annotations", "spec.listeners.external.annotations", e.annotations);
  out.external = std::move(e);
}

void read_metadata_store(field_reader& r, const json& spec, metadata_store_spec& out) {
  const json* m = r.object(spec, "metadataStore", "spec.metadataStore");
  if (m == nullptr) return;
  std::string type = "managed";
  r.string(*m, "type", "spec.metadataStore.type", type);
  if (type == "managed") {
    out.type = metadata_store_type::managed;
  } else if (type == "external") {
    out.type = metadata_store_type::external;
  } else if (type == "embedded") {
    out.type = metadata_store_type::embedded;
  } else {
    r.fail("spec.metadataStore.type",
           "Unsupported value \"" + type + "\": expected managed, external or embedded");
  }
  if (const json* managed = r.object(*m, "managed", "spec.metadataStore.managed")) {
    r.integer(*managed, "replicas", "spec.metadataStore.managed.replicas", out.managed.replicas);
    r.string(*managed, "image", "spec.metadataStore.managed.image", out.managed.image);
    read_storage(r, *managed, "spec.metadataStore.managed.storage", out.managed.storage);
  }
  if (const json* external = r.object(*m, "external", "spec.metadataStore.external"))
    r.string_list(*external, "endpoints", "spec.metadataStore.external.endpoints",
                  out.external_endpoints);
}

void read_pod_template(field_reader& r, const json& spec, pod_template_spec& out) {
  const json* p = r.object(spec, "podTemplate", "spec.podTemplate");
  if (p == nullptr) return;
  r.string_map(*p, "labels", "spec.podTemplate.labels", out.labels);
  r.string_map(*p, "annotations", "spec.podTemplate.annotations", out.annotations);
  r.string_map(*p, "nodeSelector", "spec.podTemplate.nodeSelector", out.node_selector);
  r.any_object(*p, "affinity", "spec.podTemplate.affinity", out.affinity);
  r.any_array(*p, "tolerations", "spec.podTemplate.tolerations", out.tolerations);
  if (out.tolerations.is_array()) {
    for (size_t i = 0; i < out.tolerations.size(); ++i) {
      if (!out.tolerations[i].is_object())
        r.fail("spec.podTemplate.tolerations[" + std::to_string(i) + "]", "expected an object");
    }
  }
}

void read_spec(field_reader& r, const json& spec, cluster_spec& out) {
  r.integer(spec, "replicas", "spec.replicas", out.replicas);
  r.string(spec, "image", "spec.image", out.image);
  r.string(spec, "imagePullPolicy", "spec.imagePullPolicy", out.image_pull_policy);
  r.any_object(spec, "resources", "spec.resources", out.resources);
  read_storage(r, spec, "spec.storage", out.storage);
  r.string_map(spec, "config", "spec.config", out.config);
  read_listeners(r, spec, out.listeners);
  r.integer(spec, "adminPort", "spec.adminPort", out.admin_port);
  read_metadata_store(r, spec, out.metadata_store);
  if (const json* rack = r.object(spec, "rack", "spec.rack")) {
    rack_spec rs;
    r.string(*rack, "topologyKey", "spec.rack.topologyKey", rs.topology_key);
    out.rack = std::move(rs);
  }
  read_pod_template(r, spec, out.pod_template);
  if (const json* metrics = r.object(spec, "metrics", "spec.metrics")) {
    if (const json* sm = r.object(*metrics, "serviceMonitor", "spec.metrics.serviceMonitor")) {
      r.boolean(*sm, "enabled", "spec.metrics.serviceMonitor.enabled", out.service_monitor.enabled);
      r.string(*sm, "interval", "spec.metrics.serviceMonitor.interval",
               out.service_monitor.interval);
      r.string_map(*sm, "labels", "spec.metrics.serviceMonitor.labels", out.service_monitor.labels);
    }
  }
}

// Best effort: fields that do not parse keep their zero values.
cluster_status read_status(const json& object) {
  cluster_status s;
  field_reader r;
  const json* st = r.object(object, "status", "status");
  if (st == nullptr) return s;
  r.integer(*st, "observedGeneration", "status.observedGeneration", s.observed_generation);
  if (st->contains("conditions")) {
    if (auto c = conditions_from_json((*st)["conditions"], "status.conditions"))
      s.conditions = std::move(*c);
  }
  r.integer(*st, "replicas", "status.replicas", s.replicas);
  r.integer(*st, "readyReplicas", "status.readyReplicas", s.ready_replicas);
  r.string(*st, "selector", "status.selector", s.selector);
  r.string(*st, "bootstrapServers", "status.bootstrapServers", s.bootstrap_servers);
  if (auto it = st->find("brokers"); it != st->end() && it->is_array()) {
    for (const auto& b : *it) {
      if (!b.is_object()) continue;
      broker_status bs;
      r.integer(b, "id", "status.brokers.id", bs.id);
      r.string(b, "host", "status.brokers.host", bs.host);
      r.boolean(b, "ready", "status.brokers.ready", bs.ready);
      s.brokers.push_back(std::move(bs));
    }
  }
  return s;
}

const std::regex& quantity_pattern() {
  static const std::regex re(R"(^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[kMGTPE])?$)");
  return re;
}

const std::regex& endpoint_pattern() {
  static const std::regex re(R"(^(https?://)?[A-Za-z0-9.\[\]:_-]+:[0-9]{1,5}$)");
  return re;
}

const std::regex& interval_pattern() {
  static const std::regex re(R"(^([0-9]+(ms|s|m|h))+$)");
  return re;
}

// A DNS-1035 label: what a Service name must be, and the Cluster's name prefixes them all.
const std::regex& dns1035_pattern() {
  static const std::regex re(R"(^[a-z]([-a-z0-9]*[a-z0-9])?$)");
  return re;
}

void check_port(std::vector<std::string>& out, const std::string& path, int32_t port) {
  if (port < 1 || port > 65535)
    out.push_back(path + ": must be between 1 and 65535, got " + std::to_string(port));
}

void check_storage(std::vector<std::string>& out, const std::string& path, const storage_spec& s) {
  if (!std::regex_match(s.size, quantity_pattern()))
    out.push_back(path + ".size: not a storage quantity: \"" + s.size + "\"");
  if (s.storage_class_name && s.storage_class_name->size() > 253)
    out.push_back(path + ".storageClassName: longer than 253 characters");
}

constexpr std::string_view kReplicationKeys[] = {
    "default.replication.factor",
    "offsets.topic.replication.factor",
    "min.insync.replicas",
};

}  // namespace

std::string_view to_string(metadata_store_type t) {
  switch (t) {
    case metadata_store_type::managed:
      return "managed";
    case metadata_store_type::external:
      return "external";
    case metadata_store_type::embedded:
      return "embedded";
  }
  return "managed";
}

std::string_view to_string(external_listener_type t) {
  return t == external_listener_type::node_port ? "NodePort" : "LoadBalancer";
}

std::expected<cluster, std::string> parse_cluster(const json& object) {
  if (!object.is_object()) return std::unexpected("expected a Cluster object");
  auto meta = parse_object_meta(object);
  if (!meta) return std::unexpected(meta.error());
  cluster c;
  c.meta = std::move(*meta);
  field_reader r;
  if (const json* spec = r.object(object, "spec", "spec")) read_spec(r, *spec, c.spec);
  if (!r.ok()) return std::unexpected(r.message());
  c.status = read_status(object);
  return c;
}

std::map<std::string, std::string> default_replication_config(const cluster& c) {
  const int32_t brokers = std::max(c.spec.replicas, 1);
  const int32_t rf = std::min(3, brokers);
  // Two in-sync replicas only when a third exists: with RF 2 and min.insync.replicas 2 every
  // broker restart would stop acks=all writes, and the operator could never roll the brokers.
  const int32_t min_isr = std::max(1, std::min(2, rf - 1));
  return {
      {"default.replication.factor", std::to_string(rf)},
      {"offsets.topic.replication.factor", std::to_string(rf)},
      {"min.insync.replicas", std::to_string(min_isr)},
  };
}

const std::vector<std::string>& operator_owned_config_keys() {
  static const std::vector<std::string> keys = {
      "node.id",
      "broker.id",
      "listeners",
      "advertised.listeners",
      "admin.listeners",
      "log.dirs",
      "log.dir",
      "metadata.store",
      "metadata.store.prefix",
      "broker.rack",
      "listener.security.protocol.map",
      "inter.broker.listener.name",
  };
  return keys;
}

std::vector<std::string> ignored_config_keys(const cluster& c) {
  std::vector<std::string> out;
  for (const auto& key : operator_owned_config_keys()) {
    if (c.spec.config.contains(key)) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> validate(const cluster& c) {
  std::vector<std::string> out;
  const cluster_spec& s = c.spec;
  const bool managed = s.metadata_store.type == metadata_store_type::managed;

  // Object names built from the Cluster's: "<c>-etcd" is a StatefulSet, whose pods carry a
  // controller-revision-hash label "<statefulset>-<10 characters>" of at most 63.
  const size_t name_limit = managed ? 47 : 52;
  if (!std::regex_match(c.meta.name, dns1035_pattern())) {
    out.push_back(
        "metadata.name: must be a DNS-1035 label (lower-case letters, digits and '-', starting "
        "with a letter): the Services the operator creates are named after it");
  } else if (c.meta.name.size() > name_limit) {
    out.push_back("metadata.name: at most " + std::to_string(name_limit) +
                  " characters, so that the names of the objects built from it fit");
  }

  if (s.replicas < 1)
    out.push_back("spec.replicas: must be at least 1, got " + std::to_string(s.replicas));
  if (s.image.size() > 1024) out.push_back("spec.image: longer than 1024 characters");
  if (s.image_pull_policy != "Always" && s.image_pull_policy != "IfNotPresent" &&
      s.image_pull_policy != "Never") {
    out.push_back("spec.imagePullPolicy: Unsupported value \"" + s.image_pull_policy +
                  "\": expected Always, IfNotPresent or Never");
  }
  check_storage(out, "spec.storage", s.storage);

  check_port(out, "spec.listeners.internal.port", s.listeners.internal_port);
  check_port(out, "spec.adminPort", s.admin_port);
  if (s.admin_port == s.listeners.internal_port)
    out.push_back("spec.adminPort: the same port as spec.listeners.internal.port");
  if (const auto& ex = s.listeners.external) {
    check_port(out, "spec.listeners.external.port", ex->port);
    if (ex->port == s.listeners.internal_port || ex->port == s.admin_port)
      out.push_back(
          "spec.listeners.external.port: the same port as the internal listener or the admin "
          "port");
    if (ex->node_port_base) {
      const int64_t base = *ex->node_port_base;
      if (base < 30000 || base > 32767) {
        out.push_back("spec.listeners.external.nodePortBase: must be between 30000 and 32767");
      } else if (base + s.replicas - 1 > 32767) {
        out.push_back("spec.listeners.external.nodePortBase: " + std::to_string(s.replicas) +
                      " brokers from " + std::to_string(base) + " go past node port 32767");
      }
      if (ex->type != external_listener_type::node_port)
        out.push_back("spec.listeners.external.nodePortBase: only for type NodePort");
    }
    if (ex->advertised_host && ex->type != external_listener_type::node_port)
      out.push_back("spec.listeners.external.advertisedHost: only for type NodePort");
    const std::string ext_name =
        c.meta.name + "-" + std::to_string(std::max(s.replicas - 1, 0)) + "-external";
    if (ext_name.size() > 63)
      out.push_back("metadata.name: too long for the per-broker Service \"" + ext_name + "\"");
  }

  const auto& store = s.metadata_store;
  switch (store.type) {
    case metadata_store_type::embedded:
      if (s.replicas != 1)
        out.push_back(
            "spec.metadataStore.type: embedded keeps metadata inside one broker and needs "
            "spec.replicas 1, got " +
            std::to_string(s.replicas));
      break;
    case metadata_store_type::external:
      if (store.external_endpoints.empty())
        out.push_back(
            "spec.metadataStore.external.endpoints: Required value: type external needs at "
            "least one etcd endpoint");
      for (size_t i = 0; i < store.external_endpoints.size(); ++i) {
        const std::string& ep = store.external_endpoints[i];
        const std::string path = "spec.metadataStore.external.endpoints[" + std::to_string(i) + "]";
        if (!std::regex_match(ep, endpoint_pattern())) {
          out.push_back(path + ": expected host:port or http://host:port, got \"" + ep + "\"");
        } else if (ep.starts_with("https://")) {
          out.push_back(path + ": the broker reaches etcd over plain HTTP only (no TLS yet)");
        }
      }
      break;
    case metadata_store_type::managed:
      if (store.managed.replicas < 1 || store.managed.replicas > 9)
        out.push_back("spec.metadataStore.managed.replicas: must be between 1 and 9, got " +
                      std::to_string(store.managed.replicas));
      if (store.managed.image.size() > 1024)
        out.push_back("spec.metadataStore.managed.image: longer than 1024 characters");
      check_storage(out, "spec.metadataStore.managed.storage", store.managed.storage);
      break;
  }

  // Replication settings: a value above the broker count makes topic creation (or, for
  // min.insync.replicas, every acks=all write) fail.
  const auto defaults = default_replication_config(c);
  std::map<std::string, int64_t> effective;
  for (std::string_view k : kReplicationKeys) {
    const std::string key(k);
    effective[key] = parse_int(defaults.at(key)).value_or(1);
    auto it = s.config.find(key);
    if (it == s.config.end()) continue;
    auto v = tern::parse_int(it->second);
    if (!v || *v < 1) {
      out.push_back("spec.config[" + key + "]: expected a positive integer, got \"" + it->second +
                    "\"");
      continue;
    }
    effective[key] = *v;
    if (*v > s.replicas)
      out.push_back("spec.config[" + key + "]: " + std::to_string(*v) +
                    " is more than the cluster's " + std::to_string(s.replicas) + " brokers");
  }
  if (s.config.contains("min.insync.replicas") &&
      effective["min.insync.replicas"] > effective["default.replication.factor"]) {
    out.push_back(
        "spec.config[min.insync.replicas]: larger than default.replication.factor, so acks=all "
        "writes to topics created with the default would always fail");
  }

  if (s.rack) {
    if (s.rack->topology_key.empty())
      out.push_back("spec.rack.topologyKey: Required value");
    else if (s.rack->topology_key.size() > 316)
      out.push_back("spec.rack.topologyKey: longer than 316 characters");
  }
  if (s.service_monitor.enabled || s.service_monitor.interval != kDefaultScrapeInterval) {
    if (!std::regex_match(s.service_monitor.interval, interval_pattern()))
      out.push_back("spec.metrics.serviceMonitor.interval: expected a duration like 30s, got \"" +
                    s.service_monitor.interval + "\"");
  }
  return out;
}

json status_to_json(const cluster_status& s) {
  json brokers = json::array();
  for (const auto& b : s.brokers) {
    json e = {{"id", b.id}, {"ready", b.ready}};
    if (!b.host.empty()) e["host"] = b.host;
    brokers.push_back(std::move(e));
  }
  json out = {
      {"observedGeneration", s.observed_generation},
      {"conditions", conditions_to_json(s.conditions)},
      {"replicas", s.replicas},
      {"readyReplicas", s.ready_replicas},
      {"brokers", std::move(brokers)},
  };
  if (!s.selector.empty()) out["selector"] = s.selector;
  if (!s.bootstrap_servers.empty()) out["bootstrapServers"] = s.bootstrap_servers;
  return out;
}

}  // namespace tern::op::api
