// The partition replicas this broker holds in cluster mode, and its part in Kafka's ISR
// replication: it applies each cluster view (opening logs, becoming leader or follower,
// removing replicas moved elsewhere), runs one fetcher per leader it follows, and as a leader
// tracks each follower's progress, advances the high watermark when every in-sync replica has
// an offset, and asks for ISR changes (shrink after replica.lag.time.max.ms, expand when a
// follower catches up). Runs on the broker's I/O thread; etcd work goes through the agent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/asio.h"

#include "broker/cluster/cluster_agent.h"
#include "broker/cluster/cluster_model.h"
#include "broker/protocol/error_code.h"
#include "broker/storage/log.h"

namespace tern::replication {

struct replica_settings {
  int32_t node_id = 0;
  int64_t replica_lag_time_max_ms = 30000;
  int64_t replica_fetch_wait_max_ms = 500;
  int64_t replica_fetch_max_bytes = 1048576;            // per partition
  int64_t replica_fetch_response_max_bytes = 10485760;  // per request
  int64_t replica_socket_timeout_ms = 30000;
  storage::write_mode follower_writes = storage::write_mode::direct;
};

struct follower_progress {
  int64_t log_end_offset = -1;  // unknown until its first fetch
  int64_t last_fetch_ms = 0;
  int64_t leader_end_at_last_fetch = 0;
  int64_t last_caught_up_ms = 0;
};

struct partition_replica {
  cluster::partition_ref ref;
  storage::log* log = nullptr;
  cluster::partition_state state;
  int64_t mod_revision = 0;
  bool leading = false;  // leader of state.leader_epoch, elected as this process
  // Leader only.
  std::map<int32_t, follower_progress> followers;
  bool isr_change_pending = false;
  // Follower only: compare epochs with the leader before fetching.
  bool needs_truncation = true;
};

// How the broker opens and removes partition logs (with the topic's configs), and learns
// of leadership changes (the group coordinator follows __consumer_offsets leadership).
struct replica_hooks {
  std::function<void(const cluster::partition_ref&, bool leading)> leadership_changed;
  std::function<storage::log*(const cluster::topic_info&, int32_t partition)> open;
  std::function<void(const std::string& topic)> remove_topic;
  std::function<void(const cluster::partition_ref&)> remove_partition;
};

class replica_manager {
 public:
  replica_manager(boost::asio::io_context& ioc, replica_settings settings,
                  cluster::cluster_agent& agent, replica_hooks hooks,
                  std::function<void()> on_progress);
  ~replica_manager();

  // Acts on a new view (called on the I/O thread).
  void apply_view(cluster::cluster_agent::view_ptr view);
  const cluster::cluster_view& view() const { return *view_; }
  cluster::cluster_agent::view_ptr view_ptr() const { return view_; }
  void start();
  void stop();

  partition_replica* find(const cluster::partition_ref& ref);
  const std::map<cluster::partition_ref, partition_replica>& replicas() const { return replicas_; }

  // Whether this broker may serve `ref` as its leader, and the error a client gets if not.
  // `current_leader_epoch` (-1: unchecked) fences clients and followers with stale metadata.
  protocol::error_code check_leader(const partition_replica* r, int32_t current_leader_epoch,
                                    bool for_write) const;

  // Leader side of a follower's Fetch: its fetch offset is its log end.
  // A connection that follower `replica_id` fetched through has closed: if its process is gone
  // (its address refuses connections), its session ends now, so the ISR shrinks and acks=-1
  // writes go on without waiting for its lease to expire.
  void follower_disconnected(int32_t replica_id);
  void on_follower_fetch(partition_replica& r, int32_t replica_id, int64_t fetch_offset,
                         int64_t now_ms);
  // After an append as leader: with no other in-sync replica the high watermark moves now.
  void after_leader_append(partition_replica& r);

  // Writes a partition state through the agent with compare-and-swap; true when written
  // (false: the state changed meanwhile, or etcd refused).
  boost::asio::awaitable<bool> write_state(cluster::partition_write write);
  // Waits until `done` holds for the applied view (checked as views arrive), or `timeout`.
  boost::asio::awaitable<bool> await_view(std::function<bool(const cluster::cluster_view&)> done,
                                          std::chrono::milliseconds timeout);
  // Waits until a view read from etcd after this call has been applied, or `timeout`: what
  // another broker wrote just before (a topic created through it, a broker that registered)
  // is then known here too. A poll of etcd takes well under the default.
  boost::asio::awaitable<void> await_fresh_view(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(300));
  // Waits until a view at least as new as the last write has been applied, or `timeout`.
  boost::asio::awaitable<void> await_view_after(int64_t revision,
                                                std::chrono::milliseconds timeout);

  // Partition counts for metrics and health.
  struct health {
    int32_t leaders = 0;
    int32_t under_replicated = 0;  // led here, ISR smaller than the replicas
    int32_t under_min_isr = 0;
    int32_t offline = 0;  // in the whole cluster: no leader
  };
  health partition_health() const;
  // ISR changes this broker made as a leader.
  int64_t isr_shrinks() const { return isr_shrinks_; }
  int64_t isr_expands() const { return isr_expands_; }

 private:
  void become_leader(partition_replica& r);
  void update_high_watermark(partition_replica& r);
  void propose_isr(partition_replica& r, std::vector<int32_t> isr, const char* why);
  void check_isr(int64_t now_ms);
  boost::asio::awaitable<void> isr_loop();
  boost::asio::awaitable<void> fetch_loop(int32_t leader);
  // Connects to `node`'s registered address kRefusalsToEndSession times, kRefusalRecheckMs
  // apart; when every attempt is refused, asks the agent to end that process's session.
  boost::asio::awaitable<void> check_gone(int32_t node);
  void ensure_fetchers();

  boost::asio::io_context& ioc_;
  replica_settings settings_;
  cluster::cluster_agent& agent_;
  replica_hooks hooks_;
  std::function<void()> on_progress_;
  cluster::cluster_agent::view_ptr view_;
  std::map<cluster::partition_ref, partition_replica> replicas_;
  std::set<int32_t> fetchers_;  // leaders with a running fetch loop
  boost::asio::steady_timer isr_timer_;
  int64_t isr_shrinks_ = 0;
  int64_t isr_expands_ = 0;
  bool stopped_ = false;
};

int64_t wall_ms();

}  // namespace tern::replication
