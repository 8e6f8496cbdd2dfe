// Calls to a broker's HTTP admin API (/v1/...): whether a broker can restart without taking a
// partition below min.insync.replicas, draining before a scale-down, and topic ids.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <expected>
#include <string>

namespace tern::op::controllers {

struct broker_share {
  int32_t id = -1;
  bool live = false;
  bool draining = false;
  bool drained = false;
  int64_t replicas = 0;
  int64_t leaders = 0;
  int64_t partitions_below_min_isr_if_stopped = 0;
  // Of those, the ones that waiting would keep available (more replicas than min ISR).
  int64_t restart_blocking_partitions = 0;
};

struct cluster_health {
  std::string mode;  // "cluster" or "single-node"
  int64_t live_brokers = 0;
  int64_t partitions = 0;
  int64_t under_replicated = 0;
  int64_t under_min_isr = 0;
  int64_t offline = 0;
  int64_t reassigning = 0;
};

struct rebalance_state {
  bool balanced = true;  // replicas are spread evenly and nothing is moving
  int64_t moves_started = 0;
  int64_t in_progress = 0;
  int64_t brokers = 0;  // live, non-draining brokers in the answering broker's view
};

class broker_admin_client {
 public:
  // `base_url`: http://host:port of one broker's admin listener.
  explicit broker_admin_client(std::string base_url,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

  std::expected<cluster_health, std::string> cluster();
  std::expected<broker_share, std::string> broker(int32_t id);
  std::expected<broker_share, std::string> start_drain(int32_t id);
  std::expected<broker_share, std::string> stop_drain(int32_t id);
  std::expected<rebalance_state, std::string> rebalance_status();
  // Starts a batch of reassignments toward an even spread (none while others are running).
  std::expected<rebalance_state, std::string> start_rebalance();
  // The topic's id in Kafka's text form; an empty string when the topic does not exist.
  std::expected<std::string, std::string> topic_id(const std::string& topic);

 private:
  // The body of a 2xx answer; 404 answers are returned as unexpected "404".
  std::expected<nlohmann::json, std::string> call(const std::string& method,
                                                  const std::string& path);

  std::string base_url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tern::op::controllers
