// Worker threads of a controller.
#include "operator/controllers/controller_loop.h"

#include <spdlog/spdlog.h>

namespace tern::op::controllers {

controller_loop::controller_loop(std::string name, reconcile_fn reconcile,
                                 operator_metrics& metrics, int workers)
    : name_(std::move(name)),
      reconcile_(std::move(reconcile)),
      metrics_(metrics),
      workers_(workers) {}

controller_loop::~controller_loop() {
  stop();
}

void controller_loop::enqueue(const std::string& ns, const std::string& name) {
  queue_.add(ns + "/" + name);
  metrics_.queue_depth(name_, queue_.size());
}

void controller_loop::start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { work(); });
}

void controller_loop::stop() {
  queue_.shut_down();
  threads_.clear();  // joins
}

void controller_loop::work() {
  while (auto key = queue_.get()) {
    metrics_.queue_depth(name_, queue_.size());
    const auto slash = key->find('/');
    const std::string ns = key->substr(0, slash);
    const std::string name = key->substr(slash + 1);
    const auto started = std::chrono::steady_clock::now();
    reconcile_result r;
    try {
      r = reconcile_(ns, name);
    } catch (const std::exception& e) {
      // A library that throws (JSON access on an unexpected object, cpprestsdk) must not take
      // the operator down; the key is retried like any failure.
      r = reconcile_result::failed(std::string("unexpected: ") + e.what());
    }
    const auto took = std::chrono::steady_clock::now() - started;
    if (!r.error.empty()) {
      spdlog::warn("{} {}: {} (retry #{})", name_, *key, r.error, queue_.requeues(*key) + 1);
      metrics_.reconciled(name_, "error", took);
      queue_.add_rate_limited(*key);
    } else {
      queue_.forget(*key);
      metrics_.reconciled(name_, r.settled ? "success" : "requeue", took);
      if (r.requeue_after.count() > 0) queue_.add_after(*key, r.requeue_after);
    }
    queue_.done(*key);
    metrics_.queue_depth(name_, queue_.size());
  }
}

}  // namespace tern::op::controllers
