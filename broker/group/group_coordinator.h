// The group coordinator: Kafka's classic consumer-group protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup) and committed offsets, persisted in the compacted internal topic
// __consumer_offsets and rebuilt from it at start-up. All calls run on the broker's single
// I/O thread; JoinGroup and SyncGroup park their callers until the rebalance gets there.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/group/group.h"
#include "broker/group/offsets_records.h"
#include "common/asio.h"

namespace tern::group {

inline constexpr std::string_view kOffsetsTopic = "__consumer_offsets";

// Where the coordinator keeps its records; the broker implements it over its logs.
class offsets_storage {
 public:
  virtual ~offsets_storage() = default;
  // Creates __consumer_offsets with this many partitions if it does not exist yet.
  virtual std::expected<void, std::string> ensure_topic(int32_t partitions) = 0;
  virtual bool topic_exists() = 0;
  // Appends one uncompressed batch to a partition of __consumer_offsets.
  virtual std::expected<void, std::string> append(int32_t partition, std::string& batch) = 0;
  // Calls `visit` with every batch of the partition, oldest first.
  virtual void scan(int32_t partition,
                    const std::function<void(std::string_view batch)>& visit) = 0;
  // Whether a user topic-partition exists, for validating commits.
  virtual bool partition_exists(const std::string& topic, int32_t partition) = 0;
};

struct coordinator_config {
  int32_t offsets_partitions = 50;
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  int64_t initial_rebalance_delay_ms = 3000;
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t offsets_retention_check_interval_ms = 600000;
  size_t offset_metadata_max_bytes = 4096;
};

struct join_request {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;
  std::string protocol_type;
  std::vector<std::pair<std::string, std::string>> protocols;
  bool member_id_required = false;   // JoinGroup v4+: a new member first gets its id
  bool can_skip_assignment = false;  // JoinGroup v9+ (KIP-814)
};

struct sync_request {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, std::string>> assignments;
};

struct member_identity {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct partition_commit {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};

struct group_listing {
  std::string group_id;
  std::string protocol_type;
  group_state state;
};

struct member_description {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;
  std::string assignment;
};

struct group_description {
  protocol::error_code error = protocol::error_code::none;
  std::string group_id;
  group_state state = group_state::dead;
  std::string protocol_type;
  std::string protocol;
  std::vector<member_description> members;
};

class group_coordinator {
 public:
  group_coordinator(boost::asio::io_context& ioc, offsets_storage& storage,
                    coordinator_config config);

  // Cluster mode: this coordinator serves only the groups whose __consumer_offsets partition
  // this broker leads; call before start(). Single-node mode serves every group.
  void serve_led_partitions_only();
  // Leadership of a __consumer_offsets partition arrived (its groups are loaded from the log)
  // or left (its groups are dropped; waiting members get NOT_COORDINATOR).
  void partition_led(int32_t partition);
  void partition_lost(int32_t partition);

  // Rebuilds groups and offsets from __consumer_offsets and starts the expiry timer.
  void start();
  void stop();

  boost::asio::awaitable<join_result> join(join_request request);
  boost::asio::awaitable<sync_result> sync(sync_request request);
  protocol::error_code heartbeat(const std::string& group_id, int32_t generation,
                                 const std::string& member_id,
                                 const std::optional<std::string>& instance_id);
  // Per-member errors, in request order; the first element is the request-level error.
  std::vector<protocol::error_code> leave(const std::string& group_id,
                                          const std::vector<member_identity>& members);

  // Errors per partition, in request order.
  std::vector<protocol::error_code> commit(const std::string& group_id, int32_t generation,
                                           const std::string& member_id,
                                           const std::optional<std::string>& instance_id,
                                           const std::vector<partition_commit>& commits);
  // Committed offsets of a group: all, or the given topic-partitions (missing ones: nullopt).
  std::map<std::pair<std::string, int32_t>, committed_offset> committed(
      const std::string& group_id) const;

  std::vector<group_listing> list() const;
  group_description describe(const std::string& group_id) const;
  protocol::error_code remove_group(const std::string& group_id);
  // Deletes offsets of partitions the group does not subscribe to; per-partition errors.
  std::pair<protocol::error_code, std::vector<protocol::error_code>> delete_offsets(
      const std::string& group_id, const std::vector<std::pair<std::string, int32_t>>& parts);

  static protocol::error_code validate_group_id(const std::string& group_id);
  // INVALID_GROUP_ID, or NOT_COORDINATOR when another broker coordinates this group.
  protocol::error_code coordinator_error(const std::string& group_id) const;
  int32_t partition_for(const std::string& group_id) const;
  const coordinator_config& config() const { return config_; }

 private:
  // FENCED_INSTANCE_ID when `instance_id` now belongs to another member id, as Kafka checks
  // before looking the member up; NONE otherwise.
  static protocol::error_code check_fenced(const group& g, const std::string& member_id,
                                           const std::optional<std::string>& instance_id);
  group* find(const std::string& id);
  const group* find(const std::string& id) const;
  void prepare_rebalance(group& g, const std::string& reason);
  void maybe_complete_join(group& g);
  void complete_join(group& g);
  void remove_member(group& g, const std::string& member_id, const std::string& reason);
  void set_state(group& g, group_state s);
  join_result current_join_result(const group& g, const std::string& member_id) const;
  void add_member(group& g, const join_request& r, const std::string& id);
  void answer_join(member& m, join_result result);
  void answer_sync(member& m, sync_result result);
  bool persist_group(const group& g);
  bool write(const std::string& group_id,
             const std::vector<std::pair<std::string, std::optional<std::string>>>& records);
  void load_partition(int32_t partition);
  boost::asio::awaitable<void> tick_loop();
  void tick();
  void expire_offsets(int64_t now_ms);
  std::string new_member_id(const std::string& prefix) const;

  boost::asio::io_context& ioc_;
  offsets_storage& storage_;
  coordinator_config config_;
  std::map<std::string, group> groups_;
  std::optional<std::set<int32_t>> led_;  // cluster mode: the partitions served here
  boost::asio::steady_timer tick_timer_;
  clock::time_point next_retention_check_;
  bool stopped_ = false;
};

}  // namespace tern::group
