// The topic reconciler's view of a tern cluster through the Kafka admin protocol (librdkafka):
// read a topic's partitions, replication factor and config overrides; create, grow, reconfigure
// and delete it. Calls block up to the timeout; one instance per cluster bootstrap address,
// shared by threads (librdkafka handles are thread-safe).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace tern::op::controllers {

struct kafka_error {
  std::string code;  // Kafka's error name (TOPIC_ALREADY_EXISTS, ...) or librdkafka's (_TRANSPORT)
  std::string message;
  // The cluster could not be reached or answered in time; the request may be repeated.
  bool unreachable = false;
  std::string describe() const { return code + ": " + message; }
};

struct topic_state {
  int32_t partitions = 0;
  int32_t replication_factor = 0;
  std::map<std::string, std::string> configs;  // the overrides set on the topic only
};

class kafka_topic_admin {
 public:
  using config_map = std::map<std::string, std::string>;

  // A client of the cluster at `bootstrap` ("host:port[,host:port]"); connects lazily.
  static std::expected<std::unique_ptr<kafka_topic_admin>, std::string> connect(
      const std::string& bootstrap, std::chrono::milliseconds timeout);
  ~kafka_topic_admin();

  // nullopt when the topic does not exist.
  std::expected<std::optional<topic_state>, kafka_error> describe(const std::string& topic);
  std::expected<void, kafka_error> create(const std::string& topic, int32_t partitions,
                                          int32_t replication_factor, const config_map& configs);
  std::expected<void, kafka_error> add_partitions(const std::string& topic, int32_t total);
  // Replaces every override of the topic with `configs` (AlterConfigs): keys left out return
  // to the broker default. librdkafka 2.0 has no IncrementalAlterConfigs; for a resource whose
  // whole desired config is known the two are equivalent.
  std::expected<void, kafka_error> set_configs(const std::string& topic, const config_map& configs);
  std::expected<void, kafka_error> remove(const std::string& topic);
  // Every topic's replication factor (replicas of its first partition).
  std::expected<std::map<std::string, int32_t>, kafka_error> replication_factors();

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  kafka_topic_admin(rd_kafka_t* rk, std::string bootstrap, std::chrono::milliseconds timeout);
  std::expected<rd_kafka_event_t*, kafka_error> call(
      rd_kafka_admin_op_t op,
      const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& send);
  rd_kafka_AdminOptions_t* options(rd_kafka_admin_op_t op) const;
  // An unreachable cluster answers every request only after the timeout; for a few seconds
  // after one such failure the next requests fail at once with it, so that the reconcilers'
  // workers are not all held by one dead cluster.
  std::optional<kafka_error> recently_unreachable() const;
  kafka_error remember(kafka_error e);

  rd_kafka_t* rk_;
  std::string bootstrap_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point unreachable_until_{};
  kafka_error last_unreachable_;
};

}  // namespace tern::op::controllers
