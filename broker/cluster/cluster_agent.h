// A broker's link to the cluster in etcd, on a thread of its own (etcd calls block): keeps the
// broker registered under a lease, campaigns for the controller lease, watches the cluster's
// keys (and polls etcd's revision, in case the watch stream is down) and reads a fresh cluster
// view whenever they change, runs the controller's plan while it holds the controller lease,
// and performs the partition-state writes the broker asks for (ISR changes), all as
// compare-and-swap transactions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/cluster/cluster_model.h"
#include "broker/cluster/controller_plan.h"
#include "broker/cluster/etcd_client.h"
#include "broker/cluster/etcd_watch.h"

namespace tern::cluster {

struct agent_settings {
  std::string endpoints;  // host:port[,host:port...]
  cluster_keys keys;
  broker_registration self;
  std::chrono::milliseconds session_timeout{2000};    // broker.session.timeout.ms
  std::chrono::milliseconds heartbeat_interval{500};  // broker.heartbeat.interval.ms
  std::chrono::milliseconds poll_interval{100};
  controller_settings controller;
  bool auto_leader_rebalance = true;
  std::chrono::milliseconds leader_imbalance_check_interval{300000};
};

class cluster_agent {
 public:
  using view_ptr = std::shared_ptr<const cluster_view>;
  using clock = std::chrono::steady_clock;

  // Registers the broker and starts the thread. `on_view` runs on the agent's thread with
  // every new view (the first before start returns).
  static std::expected<std::unique_ptr<cluster_agent>, std::string> start(
      agent_settings settings, std::function<void(view_ptr)> on_view);
  ~cluster_agent();

  // Revokes the lease, so other brokers see this one leave at once, and joins the thread.
  void stop();

  // Whether this broker may still act on leadership it was given: its lease is provably alive,
  // or etcd is unreachable for everyone (so no new leader can have been chosen) and the agent
  // has been trying recently. False after a pause longer than the session (SIGSTOP).
  // `applied_revision` is the revision of the newest view the broker has acted on: after the
  // session is renewed, views older than the renewal do not count.
  bool may_lead(int64_t applied_revision, clock::time_point now = clock::now()) const;

  // Queues a compare-and-swap write of a partition state; `done` runs on the agent's thread.
  void submit(partition_write write, std::function<void(bool written)> done);
  // Asks for a fresh view now rather than at the next revision change.
  void refresh_soon();
  // Reports that `broker`'s registered address refused a connection twice in a row while its
  // process `incarnation` was registered. The agent then revokes that registration's lease:
  // the process is gone, and waiting for the lease to expire would leave the partitions it
  // led without a leader for the session timeout. A registration of another process (a
  // restart) is left alone.
  void report_refused(int32_t broker, std::string incarnation);
  // Marks or unmarks a broker for draining (its replicas move elsewhere).
  std::expected<void, std::string> set_draining(int32_t broker, bool draining);

  const std::string& incarnation() const { return settings_.self.incarnation; }
  bool is_controller() const { return controller_.load(); }

 private:
  struct pending_write {
    partition_write write;
    std::function<void(bool)> done;
  };

  cluster_agent(agent_settings settings, std::unique_ptr<etcd_client> client,
                std::function<void(view_ptr)> on_view);
  std::expected<void, std::string> register_broker();
  void run();
  void heartbeat(clock::time_point now);
  bool apply_writes();
  bool end_refused_sessions();
  void read_view();
  void campaign(const cluster_view& v);
  bool write_partition(const partition_write& w);

  agent_settings settings_;
  std::unique_ptr<etcd_client> client_;
  std::unique_ptr<etcd_watch> watch_;  // wakes the thread when keys change
  std::function<void(view_ptr)> on_view_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending_write> writes_;
  std::deque<std::pair<int32_t, std::string>> refused_;  // broker id, incarnation
  bool refresh_ = true;
  bool stopping_ = false;

  int64_t lease_ = 0;
  int64_t last_revision_ = -1;
  clock::time_point next_heartbeat_{};
  clock::time_point next_rebalance_{};
  std::atomic<int64_t> lease_valid_until_{0};    // steady ns
  std::atomic<int64_t> last_unreachable_at_{0};  // steady ns of the last failed heartbeat
  std::atomic<int64_t> required_revision_{0};    // views before a re-registration are stale
  std::atomic<bool> controller_{false};
};

}  // namespace tern::cluster
