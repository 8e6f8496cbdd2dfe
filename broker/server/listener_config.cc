// Parsing and checking of the Kafka listeners.
#include "broker/server/listener_config.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace tern::server {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    out.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
  }
  return out;
}

}  // namespace

std::string endpoint::to_string() const {
  return scheme + "://" + host + ":" + std::to_string(port);
}

std::expected<endpoint, std::string> parse_endpoint(const std::string& text) {
  endpoint e;
  const size_t sep = text.find("://");
  if (sep == std::string::npos)
    return std::unexpected("'" + text + "' is not of the form SCHEME://HOST:PORT");
  e.scheme = text.substr(0, sep);
  std::string rest = text.substr(sep + 3);
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos)
    return std::unexpected("'" + text + "' has no port (SCHEME://HOST:PORT)");
  e.host = rest.substr(0, colon);
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);
  if (e.host.empty()) e.host = "0.0.0.0";
  auto port = parse_int(rest.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535)
    return std::unexpected("'" + text + "' has an invalid port");
  e.port = static_cast<uint16_t>(*port);
  return e;
}

const listener_config& listeners_config::inter_broker_listener() const {
  for (const auto& l : listeners)
    if (l.name == inter_broker) return l;
  return listeners.front();  // load_listeners guarantees a match
}

std::expected<listeners_config, std::string> load_listeners(const config_map& raw) {
  // Kafka's default map, for the names that are protocols themselves.
  std::map<std::string, std::string> protocols = {{"PLAINTEXT", "PLAINTEXT"},
                                                  {"SSL", "SSL"},
                                                  {"SASL_PLAINTEXT", "SASL_PLAINTEXT"},
                                                  {"SASL_SSL", "SASL_SSL"}};
  if (auto map = raw.get("listener.security.protocol.map"); map && !map->empty()) {
    protocols.clear();
    for (const auto& entry : split_list(*map)) {
      const auto colon = entry.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size())
        return std::unexpected("listener.security.protocol.map: '" + entry +
                               "' is not NAME:PROTOCOL");
      protocols[entry.substr(0, colon)] = entry.substr(colon + 1);
    }
  }
  listeners_config out;
  std::set<std::string> names;
  std::set<std::pair<std::string, uint16_t>> bound;
  for (const auto& item : split_list(raw.get("listeners").value_or("PLAINTEXT://127.0.0.1:9092"))) {
    auto e = parse_endpoint(item);
    if (!e) return std::unexpected("listeners: " + e.error());
    auto protocol = protocols.find(e->scheme);
    if (protocol == protocols.end())
      return std::unexpected("listeners: " + e->scheme +
                             " is neither a protocol nor named in listener.security.protocol.map");
    if (protocol->second != "PLAINTEXT")
      return std::unexpected("listeners: " + e->scheme + " uses " + protocol->second +
                             "; only PLAINTEXT is supported");
    if (!names.insert(e->scheme).second)
      return std::unexpected("listeners: the name " + e->scheme + " is used twice");
    if (e->port != 0 && !bound.insert({e->host, e->port}).second)
      return std::unexpected("listeners: " + e->host + ":" + std::to_string(e->port) +
                             " is used twice");
    out.listeners.push_back({e->scheme, *e, std::nullopt});
  }
  if (out.listeners.empty()) return std::unexpected("listeners: no listener given");
  if (auto adv = raw.get("advertised.listeners"); adv && !adv->empty()) {
    for (const auto& item : split_list(*adv)) {
      auto e = parse_endpoint(item);
      if (!e) return std::unexpected("advertised.listeners: " + e.error());
      auto it = std::find_if(out.listeners.begin(), out.listeners.end(),
                             [&](const listener_config& l) { return l.name == e->scheme; });
      if (it == out.listeners.end())
        return std::unexpected("advertised.listeners: " + e->scheme + " is not in listeners");
      if (it->advertised)
        return std::unexpected("advertised.listeners: " + e->scheme + " is given twice");
      it->advertised = *e;
    }
  }
  out.inter_broker = raw.get("inter.broker.listener.name").value_or("");
  if (out.inter_broker.empty()) {
    out.inter_broker = out.listeners.front().name;
  } else if (!names.contains(out.inter_broker)) {
    return std::unexpected("inter.broker.listener.name: " + out.inter_broker +
                           " is not in listeners");
  }
  return out;
}

}  // namespace tern::server
