// Kafka listeners: `listeners` names one or more NAME://HOST:PORT, `advertised.listeners` what
// clients are told per name, `listener.security.protocol.map` each name's protocol, and
// `inter.broker.listener.name` the one brokers use between themselves. A client is given the
// addresses of the listener it connected through, as Kafka does, so one broker can serve
// clients inside Kubernetes (pod DNS names) and outside it (node ports, load balancers).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "common/config_map.h"

namespace tern::server {

struct endpoint {
  std::string scheme;  // a listener name (PLAINTEXT, INTERNAL, ...) or http
  std::string host;
  uint16_t port = 0;

  std::string to_string() const;
};

// "PLAINTEXT://127.0.0.1:9092" -> endpoint. Port 0 asks the system for a free port.
std::expected<endpoint, std::string> parse_endpoint(const std::string& text);

struct listener_config {
  std::string name;
  endpoint bind;
  std::optional<endpoint> advertised;  // defaults to the bound address
};

struct listeners_config {
  std::vector<listener_config> listeners;  // in the order configured
  std::string inter_broker;                // the name replication and etcd registration use

  const listener_config& inter_broker_listener() const;
};

// Reads listeners, advertised.listeners, listener.security.protocol.map and
// inter.broker.listener.name. Only the PLAINTEXT protocol is served; a name other than
// PLAINTEXT must be mapped to it (INTERNAL:PLAINTEXT), as in Kafka.
std::expected<listeners_config, std::string> load_listeners(const config_map& raw);

}  // namespace tern::server
