// Topic lifecycle on this broker: creating, deleting, adding partitions and changing configs,
// with Kafka's validation and error codes; keeps the metadata store and the logs in step.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/cluster/cluster_model.h"
#include "broker/cluster/metadata_store.h"
#include "broker/cluster/replica_placement.h"
#include "broker/protocol/error_code.h"
#include "broker/server/broker_config.h"
#include "broker/storage/log_manager.h"

namespace tern::server {

struct topic_result {
  protocol::error_code error = protocol::error_code::none;
  std::string message;

  bool ok() const { return error == protocol::error_code::none; }
};

// Kafka's rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
topic_result validate_topic_name(const std::string& name);

enum class config_op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

struct config_change {
  std::string name;
  std::optional<std::string> value;
  config_op op = config_op::set;
};

class topic_manager {
 public:
  topic_manager(const broker_config& config, cluster::metadata_store& store,
                storage::log_manager& logs);

  // Cluster mode: topics are read from the current cluster view, replicas are placed on its
  // live brokers, and logs are opened and removed by the replica manager, not here.
  void use_cluster(std::function<const cluster::cluster_view&()> view);
  bool cluster_mode() const { return static_cast<bool>(view_); }

  // Opens the logs of every known topic.
  std::expected<void, std::string> load();

  // `assignment`: replicas chosen by the client for each partition (empty: placed here).
  topic_result create(const std::string& name, int32_t partitions, int16_t replication_factor,
                      const std::map<std::string, std::string>& configs, bool validate_only,
                      const std::vector<std::vector<int32_t>>& assignment = {});
  topic_result remove(const std::string& name);
  // `assignment`: replicas of each new partition chosen by the client (empty: placed here).
  topic_result add_partitions(const std::string& name, int32_t total, bool validate_only,
                              const std::vector<std::vector<int32_t>>& assignment = {});
  // Replaces all overrides (AlterConfigs) or applies changes (IncrementalAlterConfigs).
  topic_result alter_configs(const std::string& name, const std::vector<config_change>& changes,
                             bool incremental, bool validate_only);

  std::optional<cluster::topic_info> find(const std::string& name) const;
  std::optional<cluster::topic_info> find_by_id(const cluster::topic_id& id) const;
  std::vector<cluster::topic_info> topics() const;
  storage::log* partition_log(const std::string& topic, int32_t partition) const;
  // Effective config values of a topic: overrides on top of the broker defaults.
  std::map<std::string, std::string> effective_configs(const cluster::topic_info& t) const;

 private:
  topic_result open_partitions(const cluster::topic_info& t, int32_t from);
  // Read-modify-write of a stored topic: `edit` changes the record, or returns the answer to
  // give without writing (an error, or success for validate_only). A write that lost a race
  // with a change made through another broker is made again on a fresh read. Returns the
  // record as written.
  std::expected<cluster::topic_info, topic_result> update_stored(
      const std::string& name,
      const std::function<std::optional<topic_result>(cluster::topic_info&)>& edit);
  // Replicas for new partitions [from, total) on the live brokers, or why there are none.
  std::expected<std::vector<std::vector<int32_t>>, topic_result> place(const std::string& name,
                                                                       int32_t from, int32_t total,
                                                                       int16_t rf) const;
  std::function<const cluster::cluster_view&()> view_;

  const broker_config& config_;
  cluster::metadata_store& store_;
  storage::log_manager& logs_;
};

}  // namespace tern::server
