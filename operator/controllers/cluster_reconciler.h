// The Cluster controller: keeps the objects a Cluster needs (ConfigMap, Services, StatefulSet,
// PodDisruptionBudget, the managed etcd, a ServiceMonitor) as the builders in operator/model
// say, rolls broker pods one at a time after a config or image change (only while no
// partition would fall below min.insync.replicas), spreads partitions onto brokers it adds,
// drains brokers before a scale-down, and reports it all in status.
//
// RBAC it needs (manifests/rbac.yaml): clusters get/list/watch, clusters/status update;
// statefulsets, services, configmaps, poddisruptionbudgets, servicemonitors: all verbs; pods
// and persistentvolumeclaims get/list/watch/delete; customresourcedefinitions get; events
// create.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "operator/api/cluster.h"
#include "operator/controllers/cluster_endpoints.h"
#include "operator/controllers/controller_loop.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/kafka_admin_pool.h"
#include "operator/k8s/client.h"
#include "operator/k8s/informer.h"
#include "operator/model/cluster_objects.h"

namespace tern::op::controllers {

struct cluster_informers {
  k8s::informer& clusters;
  k8s::informer& stateful_sets;
  k8s::informer& services;
  k8s::informer& config_maps;
  k8s::informer& pod_disruption_budgets;
  k8s::informer& pods;
};

struct cluster_reconciler_options {
  model::operator_defaults defaults;
  // How soon to look again while a restart, drain or scale is under way.
  std::chrono::milliseconds progress_poll{std::chrono::seconds(5)};
  std::chrono::milliseconds resync{std::chrono::minutes(2)};
  std::chrono::milliseconds kafka_timeout{std::chrono::seconds(10)};
};

class cluster_reconciler {
 public:
  cluster_reconciler(k8s::client& api, cluster_informers informers, event_recorder& events,
                     cluster_endpoints endpoints, cluster_reconciler_options options = {});

  reconcile_result reconcile(const std::string& ns, const std::string& name);

 private:
  struct pass;  // what one reconcile found and decided
  // The StatefulSet replicas to ask for now: a scale-down waits for its brokers to be drained.
  int32_t replicas_now(pass& p);
  // Node name -> rack of the nodes broker pods run on, when spec.rack asks for racks.
  std::map<std::string, std::string> node_racks(pass& p);
  // Broker ordinal -> the host:port external clients reach it at (node port on the node's
  // address, or the load balancer's), for the brokers to advertise on their EXTERNAL listener.
  std::map<int32_t, std::string> external_addresses(pass& p);
  std::string sync_objects(pass& p);
  void prune_objects(pass& p);
  void roll_pods(pass& p);
  // After brokers were added: once they are ready, ask the brokers to spread replicas onto
  // them (admin API /v1/rebalance), batch after batch, until balanced. The Balanced condition
  // remembers that this is under way across passes and operator restarts.
  void rebalance(pass& p);
  // Whether a rebalance batch was started for the cluster `key` moments ago; if not, notes
  // that one starts now.
  bool rebalanced_recently(const std::string& key);
  void delete_released_volumes(pass& p);
  reconcile_result write_status(pass& p);
  bool service_monitors_installed();
  // Whether `desired` is exactly what this process applied last time for that object; a
  // difference found then was made by someone else (drift), not asked for by a spec change.
  bool was_applied_before(const std::string& ns, const nlohmann::json& desired);
  void remember_applied(const std::string& ns, const nlohmann::json& desired);

  k8s::client& api_;
  cluster_informers informers_;
  event_recorder& events_;
  cluster_endpoints endpoints_;
  cluster_reconciler_options options_;
  kafka_admin_pool admins_;
  std::mutex applied_mutex_;
  std::map<std::string, size_t> last_applied_;  // ns/kind/name -> hash of the object applied
  std::map<std::string, std::chrono::steady_clock::time_point> last_rebalance_;  // ns/name
};

}  // namespace tern::op::controllers
