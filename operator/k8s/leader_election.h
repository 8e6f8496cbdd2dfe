// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: one active
// operator replica, standbys take over when the lease expires or is released.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>

#include <nlohmann/json.hpp>

#include "operator/k8s/client.h"

namespace tern::op::k8s {

class leader_elector {
 public:
  struct options {
    std::string ns, name, identity;
    // Milliseconds rather than seconds so tests can use short periods; seconds convert
    // implicitly. The Lease records lease_duration rounded up to whole seconds.
    std::chrono::milliseconds lease_duration{std::chrono::seconds(15)};
    std::chrono::milliseconds renew_deadline{std::chrono::seconds(10)};
    std::chrono::milliseconds retry_period{std::chrono::seconds(2)};
    // On a clean stop, empty holderIdentity so a standby takes over at once (client-go's
    // ReleaseOnCancel). Tests turn it off to play a leader that just dies.
    bool release_on_cancel = true;
  };

  // `api` must outlive the elector.
  leader_elector(client& api, options o);

  // Blocks until `stop`: acquires the lease (retrying every retry_period), calls
  // on_started_leading, renews every retry_period, and calls on_stopped_leading when it could
  // not renew within renew_deadline, when another holder took the lease, or on stop; after a
  // loss it tries to acquire again. Both callbacks run on this thread and must return promptly
  // (start or stop work elsewhere). On stop the lease is released after on_stopped_leading.
  void run(std::function<void()> on_started_leading, std::function<void()> on_stopped_leading,
           std::stop_token stop);
  bool is_leader() const { return leader_.load(); }

 private:
  enum class attempt { held, taken_by_other, failed };
  attempt try_acquire_or_renew();
  void release();

  client& api_;
  const options options_;
  std::atomic<bool> leader_{false};
  // What this process last saw in the Lease's spec, and when (its own clock): a holder's lease
  // expires lease_duration after we last saw its record change, whatever the clocks say.
  nlohmann::json observed_spec_;
  std::chrono::steady_clock::time_point observed_at_{};
};

}  // namespace tern::op::k8s
