// The Topic controller: makes the Kafka topic of each Topic resource exist with its partitions
// and config (Kafka admin protocol against the Cluster's bootstrap address), reports it in
// status, reverts changes made in the cluster out of band, and deletes the topic through the
// tern.dev/topic finalizer.
//
// RBAC it needs (manifests/rbac.yaml): topics get/list/watch/update, topics/status update,
// clusters get/list/watch, events create.
#pragma once

#include <chrono>
#include <string>

#include "operator/api/topic.h"
#include "operator/controllers/broker_admin_client.h"
#include "operator/controllers/cluster_endpoints.h"
#include "operator/controllers/controller_loop.h"
#include "operator/controllers/event_recorder.h"
#include "operator/controllers/kafka_admin_pool.h"
#include "operator/k8s/client.h"
#include "operator/k8s/informer.h"

namespace tern::op::controllers {

struct topic_reconciler_options {
  // How often a Ready topic is compared with the cluster again (out-of-band changes).
  std::chrono::milliseconds resync{std::chrono::seconds(60)};
  // A Topic being deleted whose Cluster cannot be reached this long after the deletion was
  // asked for gives up its finalizer, so that namespaces never hang.
  std::chrono::milliseconds finalizer_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds kafka_timeout{std::chrono::seconds(10)};
};

class topic_reconciler {
 public:
  topic_reconciler(k8s::client& api, k8s::informer& topics, k8s::informer& clusters,
                   event_recorder& events, cluster_endpoints endpoints,
                   topic_reconciler_options options = {});

  reconcile_result reconcile(const std::string& ns, const std::string& name);

 private:
  struct outcome;
  // The topic in the cluster made to match the spec, or why not.
  outcome sync(const api::topic& t, const nlohmann::json& object, const api::cluster& c);
  reconcile_result finalize(const api::topic& t, const nlohmann::json& object);
  reconcile_result write_status(const nlohmann::json& object, const api::topic_status& old,
                                api::topic_status status);
  std::optional<api::cluster> find_cluster(const std::string& ns, const std::string& name) const;

  k8s::client& api_;
  k8s::informer& topics_;
  k8s::informer& clusters_;
  event_recorder& events_;
  cluster_endpoints endpoints_;
  topic_reconciler_options options_;
  kafka_admin_pool admins_;
};

}  // namespace tern::op::controllers
