// What cluster mode keeps in etcd besides topics: live brokers, the controller, and the state
// of every partition (replicas, leader, leader epoch, in-sync replicas), and how one poll of
// etcd becomes a consistent view of all of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/cluster/etcd_client.h"
#include "broker/cluster/metadata_store.h"

namespace tern::cluster {

struct partition_ref {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const partition_ref&) const = default;
};

struct partition_state {
  std::vector<int32_t> replicas;  // preferred leader first
  int32_t leader = -1;            // -1: offline
  int32_t leader_epoch = 0;
  // The leader's registration when it was elected: a broker that restarted is a new
  // incarnation and must not carry on as leader without an election.
  std::string leader_incarnation;
  std::vector<int32_t> isr;
  // A reassignment in progress: replicas being added (they are in `replicas` already and
  // catch up as followers) and replicas leaving once every target replica is in sync.
  std::vector<int32_t> adding;
  std::vector<int32_t> removing;

  bool in_isr(int32_t id) const;
  bool has_replica(int32_t id) const;
  bool reassigning() const { return !adding.empty() || !removing.empty(); }
  // Where a reassignment ends: the replicas without the leaving ones.
  std::vector<int32_t> target() const;
  // Where a cancelled reassignment returns: the replicas without the added ones.
  std::vector<int32_t> original() const;
  bool operator==(const partition_state&) const = default;
};

struct broker_registration {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::string rack;
  std::string admin_url;
  std::string incarnation;  // random per process start
  // etcd's revision when this process registered (not stored in the value): lower means it
  // has been up longer.
  int64_t registered_revision = 0;
  // Advertised address per listener name; host/port above are the inter-broker listener's.
  std::map<std::string, std::pair<std::string, int32_t>> listeners;

  // Where a client that came through `listener` reaches this broker.
  std::pair<std::string, int32_t> address_for(const std::string& listener) const {
    auto it = listeners.find(listener);
    return it != listeners.end() ? it->second : std::pair{host, port};
  }
};

struct versioned_partition {
  partition_state state;
  int64_t mod_revision = 0;  // for compare-and-swap
};

// Everything a broker needs to know about the cluster, as read at one etcd revision.
struct cluster_view {
  int64_t revision = 0;
  // When the read that produced this view started: it holds every write made before then.
  std::chrono::steady_clock::time_point read_at{};
  std::map<int32_t, broker_registration> brokers;  // live ones
  int32_t controller = -1;
  std::map<std::string, topic_info> topics;
  std::map<partition_ref, versioned_partition> partitions;
  std::set<int32_t> draining;  // brokers whose replicas are being moved away

  bool is_live(int32_t id) const { return brokers.contains(id); }
  const versioned_partition* find(const partition_ref& p) const;
};

// etcd key layout under the cluster's prefix.
struct cluster_keys {
  std::string prefix;

  std::string broker(int32_t id) const { return prefix + "/brokers/" + std::to_string(id); }
  std::string controller() const { return prefix + "/controller"; }
  std::string partition(const partition_ref& p) const {
    return prefix + "/partitions/" + p.topic + "/" + std::to_string(p.partition);
  }
  std::string drain(int32_t id) const { return prefix + "/drain/" + std::to_string(id); }
};

nlohmann::json to_json(const partition_state& s);
std::optional<partition_state> partition_state_from_json(const nlohmann::json& j);
nlohmann::json to_json(const broker_registration& b);
std::optional<broker_registration> broker_from_json(const nlohmann::json& j);

// Builds a view from every key under the prefix; keys it does not understand are skipped.
cluster_view parse_view(const cluster_keys& keys, const etcd_range& range);

}  // namespace tern::cluster
