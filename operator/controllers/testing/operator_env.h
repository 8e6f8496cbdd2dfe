// A whole operator for tests, in this process: the Kubernetes API test double with the tern
// CRDs, the operator's controllers against it, brokers reached at addresses the test gives, and
// a stand-in for the StatefulSet controller and kubelet (the double has neither) that makes a
// ready pod from the current template for every ordinal, as Kubernetes would.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "operator/controllers/operator_app.h"
#include "operator/controllers/operator_metrics.h"
#include "operator/k8s/client.h"
#include "operator/k8s/resource.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::testing {

using nlohmann::json;

// Polls `done` until it holds or `limit` passes; returns its last value.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(20));

class operator_env {
 public:
  operator_env();
  ~operator_env();

  // Starts the controllers with short resync and poll periods unless `options` says otherwise.
  void start(controllers::operator_options options = fast_options());
  void stop();
  static controllers::operator_options fast_options();

  // Where the operator reaches cluster `name`'s brokers; unknown clusters are unreachable.
  void set_bootstrap(const std::string& cluster, const std::string& bootstrap);
  void set_admin_url(const std::string& cluster, const std::string& url);  // every broker id

  // The StatefulSet stand-in: keeps one ready pod per ordinal of every StatefulSet in `ns`.
  // Pods it deletes or creates are recorded in pod_log().
  void run_statefulset_controller(const std::string& ns = "default");
  void pause_statefulset_controller(bool paused) { paused_ = paused; }
  std::vector<std::string> pod_log();

  json must_create(const k8s::resource& r, const json& object, const std::string& ns = "default");
  std::optional<json> get(const k8s::resource& r, const std::string& name,
                          const std::string& ns = "default");
  // Reads, changes with `edit`, writes; retries on conflicts.
  json must_edit(const k8s::resource& r, const std::string& name,
                 const std::function<void(json&)>& edit, const std::string& ns = "default");
  // Events whose involvedObject is `name`, as "Reason: message".
  std::vector<std::string> events_about(const std::string& name, const std::string& ns = "default");
  std::string condition(const json& object, const std::string& type,
                        const std::string& field = "status");

  kube_double::kube_api_double server;
  k8s::client api;
  controllers::operator_metrics metrics;

 private:
  void sync_pods(const std::string& ns);

  std::mutex mu_;
  std::map<std::string, std::string> bootstrap_;
  std::map<std::string, std::string> admin_;
  std::unique_ptr<controllers::operator_app> app_;
  std::atomic<bool> paused_{false};
  std::vector<std::string> pod_log_;
  std::jthread statefulset_controller_;
};

}  // namespace tern::op::testing
