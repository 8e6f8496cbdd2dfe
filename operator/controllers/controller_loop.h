// One controller's machinery: a rate-limited work queue of "namespace/name" keys and worker
// threads that call its reconcile function, counting every outcome in the operator metrics.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "operator/controllers/operator_metrics.h"
#include "operator/k8s/work_queue.h"

namespace tern::op::controllers {

struct reconcile_result {
  // Look again after this long (0: only when something changes).
  std::chrono::milliseconds requeue_after{0};
  // Non-empty: the reconcile failed; it is retried with per-key backoff.
  std::string error;
  // The resource is as asked; requeue_after is only the periodic look for changes made
  // behind the operator's back (counted as a success, not a requeue).
  bool settled = false;

  static reconcile_result done() { return {{}, {}, true}; }
  // Something is under way (a restart, a drain, a resource not yet reachable).
  static reconcile_result again_in(std::chrono::milliseconds after) { return {after, {}, false}; }
  static reconcile_result resync_in(std::chrono::milliseconds after) { return {after, {}, true}; }
  static reconcile_result failed(std::string why) { return {{}, std::move(why), false}; }
};

class controller_loop {
 public:
  using reconcile_fn =
      std::function<reconcile_result(const std::string& ns, const std::string& name)>;

  // `name` labels the metrics ("cluster", "topic").
  controller_loop(std::string name, reconcile_fn reconcile, operator_metrics& metrics,
                  int workers = 2);
  ~controller_loop();  // stops

  void enqueue(const std::string& ns, const std::string& name);
  void start();
  void stop();  // returns after the workers finished their current reconcile
  const std::string& name() const { return name_; }
  size_t queue_depth() const { return queue_.size(); }

 private:
  void work();

  std::string name_;
  reconcile_fn reconcile_;
  operator_metrics& metrics_;
  int workers_;
  k8s::work_queue queue_;
  std::vector<std::jthread> threads_;
};

}  // namespace tern::op::controllers
