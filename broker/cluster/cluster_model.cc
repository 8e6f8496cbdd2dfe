// Partition state and broker registrations to and from JSON, and the view of one etcd read.
#include "broker/cluster/cluster_model.h"

#include <algorithm>

#include "broker/cluster/topic_json.h"

namespace tern::cluster {

using nlohmann::json;

bool partition_state::in_isr(int32_t id) const {
  return std::find(isr.begin(), isr.end(), id) != isr.end();
}

bool partition_state::has_replica(int32_t id) const {
  return std::find(replicas.begin(), replicas.end(), id) != replicas.end();
}

std::vector<int32_t> partition_state::target() const {
  std::vector<int32_t> out;
  for (int32_t r : replicas)
    if (std::find(removing.begin(), removing.end(), r) == removing.end()) out.push_back(r);
  return out;
}

std::vector<int32_t> partition_state::original() const {
  std::vector<int32_t> out;
  for (int32_t r : replicas)
    if (std::find(adding.begin(), adding.end(), r) == adding.end()) out.push_back(r);
  return out;
}

const versioned_partition* cluster_view::find(const partition_ref& p) const {
  auto it = partitions.find(p);
  return it == partitions.end() ? nullptr : &it->second;
}

json to_json(const partition_state& s) {
  json j = {{"replicas", s.replicas},
            {"leader", s.leader},
            {"leader_epoch", s.leader_epoch},
            {"leader_incarnation", s.leader_incarnation},
            {"isr", s.isr}};
  if (!s.adding.empty()) j["adding"] = s.adding;
  if (!s.removing.empty()) j["removing"] = s.removing;
  return j;
}

std::optional<partition_state> partition_state_from_json(const json& j) {
  try {
    partition_state s;
    s.replicas = j.at("replicas").get<std::vector<int32_t>>();
    s.leader = j.at("leader").get<int32_t>();
    s.leader_epoch = j.at("leader_epoch").get<int32_t>();
    s.leader_incarnation = j.value("leader_incarnation", "");
    s.isr = j.at("isr").get<std::vector<int32_t>>();
    s.adding = j.value("adding", std::vector<int32_t>{});
    s.removing = j.value("removing", std::vector<int32_t>{});
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

json to_json(const broker_registration& b) {
  json j = {{"id", b.id},     {"host", b.host},           {"port", b.port},
            {"rack", b.rack}, {"admin_url", b.admin_url}, {"incarnation", b.incarnation}};
  if (!b.listeners.empty()) {
    j["listeners"] = json::object();
    for (const auto& [name, address] : b.listeners)
      j["listeners"][name] = {{"host", address.first}, {"port", address.second}};
  }
  return j;
}

std::optional<broker_registration> broker_from_json(const json& j) {
  try {
    broker_registration b;
    b.id = j.at("id").get<int32_t>();
    b.host = j.at("host").get<std::string>();
    b.port = j.at("port").get<int32_t>();
    b.rack = j.value("rack", "");
    b.admin_url = j.value("admin_url", "");
    b.incarnation = j.value("incarnation", "");
    if (auto l = j.find("listeners"); l != j.end() && l->is_object())
      for (const auto& [name, address] : l->items())
        b.listeners[name] = {address.at("host").get<std::string>(),
                             address.at("port").get<int32_t>()};
    return b;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

namespace {

std::optional<int32_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

cluster_view parse_view(const cluster_keys& keys, const etcd_range& range) {
  cluster_view v;
  v.revision = range.revision;
  const std::string brokers = keys.prefix + "/brokers/";
  const std::string topics = keys.prefix + "/topics/";
  const std::string partitions = keys.prefix + "/partitions/";
  const std::string drain = keys.prefix + "/drain/";
  for (const auto& kv : range.kvs) {
    const std::string_view key = kv.key;
    auto j = json::parse(kv.value, nullptr, false);
    if (key == keys.controller()) {
      if (!j.is_discarded() && j.contains("id") && j["id"].is_number_integer())
        v.controller = j["id"].get<int32_t>();
    } else if (key.starts_with(brokers)) {
      if (auto b = broker_from_json(j)) {
        b->registered_revision = kv.create_revision;
        v.brokers[b->id] = *b;
      }
    } else if (key.starts_with(topics)) {
      if (auto t = topic_from_json(j)) v.topics[t->name] = *t;
    } else if (key.starts_with(partitions)) {
      const std::string_view rest = key.substr(partitions.size());
      const size_t slash = rest.rfind('/');
      if (slash == std::string_view::npos) continue;
      auto p = parse_id(rest.substr(slash + 1));
      auto s = partition_state_from_json(j);
      if (!p || !s) continue;
      v.partitions[{std::string(rest.substr(0, slash)), *p}] = {*s, kv.mod_revision};
    } else if (key.starts_with(drain)) {
      if (auto id = parse_id(key.substr(drain.size()))) v.draining.insert(*id);
    }
  }
  return v;
}

}  // namespace tern::cluster
