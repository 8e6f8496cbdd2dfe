// The broker's settings, read from a config_map with Kafka's key names and defaults.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "broker/admin/broker_metrics.h"
#include "broker/group/group_coordinator.h"
#include "broker/server/listener_config.h"
#include "common/config_map.h"

namespace tern::server {

// Cluster mode (metadata.store=etcd://...): membership, elections and replication.
struct cluster_config {
  std::string rack;                      // broker.rack
  int64_t session_timeout_ms = 2000;     // broker.session.timeout.ms
  int64_t heartbeat_interval_ms = 500;   // broker.heartbeat.interval.ms
  int64_t poll_interval_ms = 100;        // metadata.poll.interval.ms
  bool unclean_leader_election = false;  // unclean.leader.election.enable
  bool auto_leader_rebalance = true;     // auto.leader.rebalance.enable
  int64_t leader_imbalance_check_interval_ms = 300000;
  int64_t replica_lag_time_max_ms = 30000;
  int64_t replica_fetch_wait_max_ms = 500;
  int64_t replica_fetch_max_bytes = 1048576;
  int64_t replica_fetch_response_max_bytes = 10485760;
  int64_t replica_socket_timeout_ms = 30000;
  bool replica_direct_io = true;  // replica.direct.io.enable
  int16_t offsets_topic_replication_factor = 3;
};

struct broker_config {
  int32_t node_id = 0;
  listeners_config listeners;  // the Kafka listeners
  endpoint admin_listener{"http", "127.0.0.1", 9644};
  std::vector<std::string> log_dirs{"./data"};
  std::string metadata_store = "embedded";  // or etcd://host:port[,host:port...]
  std::string metadata_prefix = "/tern";
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  bool auto_create_topics = true;
  bool delete_topic_enable = true;
  int64_t socket_request_max_bytes = 104857600;
  int64_t retention_check_interval_ms = 300000;
  int64_t cleaner_backoff_ms = 15000;
  bool metrics_enabled = true;
  admin::partition_detail metrics_detail = admin::partition_detail::topic;
  group::coordinator_config groups;
  cluster_config cluster;
  int64_t offsets_segment_bytes = 104857600;
  std::map<std::string, std::string> topic_defaults;  // topic config name -> broker default
  config_map raw;                                     // everything, for DescribeConfigs
};

// Reads and checks every known key; unknown keys are reported in `warnings`.
std::expected<broker_config, std::string> load_broker_config(const config_map& raw,
                                                             std::vector<std::string>& warnings);

// The keys load_broker_config understands, with their defaults, for docs and warnings.
const std::map<std::string, std::string>& known_broker_keys();

}  // namespace tern::server
