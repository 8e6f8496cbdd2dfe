// tern-operator's controllers wired together: informers for Clusters, Topics and the objects
// they own, one work queue and worker pool per controller, and the metrics they report.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "operator/controllers/cluster_reconciler.h"
#include "operator/controllers/controller_loop.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/operator_metrics.h"
#include "operator/controllers/topic_reconciler.h"
#include "operator/k8s/client.h"
#include "operator/k8s/informer.h"

namespace tern::op::controllers {

struct operator_options {
  std::string ns;   // empty: every namespace
  int workers = 2;  // per controller
  cluster_reconciler_options cluster;
  topic_reconciler_options topic;
};

class operator_app {
 public:
  // `api` and `metrics` must outlive the app.
  operator_app(k8s::client& api, operator_metrics& metrics, operator_options options,
               cluster_endpoints endpoints);
  ~operator_app();  // stops

  void start();
  void stop();  // idempotent
  // Every informer has its first list.
  bool synced() const;
  // The caches are synced and the workers reconcile.
  bool running() const;

 private:
  k8s::informer& add_informer(const k8s::resource& r, std::string label_selector);
  void enqueue_owner_cluster(const std::string& ns, const std::string& name, k8s::informer& from);
  void enqueue_topics_of(const std::string& ns, const std::string& cluster);

  k8s::client& api_;
  operator_metrics& metrics_;
  operator_options options_;
  std::vector<std::unique_ptr<k8s::informer>> informers_;
  k8s::informer* clusters_ = nullptr;
  k8s::informer* topics_ = nullptr;
  event_recorder events_;
  std::unique_ptr<cluster_reconciler> cluster_reconciler_;
  std::unique_ptr<topic_reconciler> topic_reconciler_;
  std::unique_ptr<controller_loop> cluster_loop_;
  std::unique_ptr<controller_loop> topic_loop_;
  std::atomic<bool> started_{false};
  std::atomic<bool> running_{false};
  std::jthread starter_;
};

}  // namespace tern::op::controllers
