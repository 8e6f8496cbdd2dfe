// Wiring of informers to work queues.
#include "operator/controllers/operator_app.h"

#include "operator/k8s/resource.h"

namespace tern::op::controllers {

namespace {

// Labels the builders put on everything they make (operator/model).
constexpr const char* kManagedSelector = "app.kubernetes.io/managed-by=tern-operator";
constexpr const char* kBrokerPodSelector = "app.kubernetes.io/name=tern";

}  // namespace

operator_app::operator_app(k8s::client& api, operator_metrics& metrics, operator_options options,
                           cluster_endpoints endpoints)
    : api_(api), metrics_(metrics), options_(std::move(options)), events_(api) {
  clusters_ = &add_informer(k8s::resources::clusters, {});
  topics_ = &add_informer(k8s::resources::topics, {});
  auto& stateful_sets = add_informer(k8s::resources::stateful_sets, kManagedSelector);
  auto& services = add_informer(k8s::resources::services, kManagedSelector);
  auto& config_maps = add_informer(k8s::resources::config_maps, kManagedSelector);
  auto& pdbs = add_informer(k8s::resources::pod_disruption_budgets, kManagedSelector);
  auto& pods = add_informer(k8s::resources::pods, kBrokerPodSelector);

  cluster_reconciler_ = std::make_unique<cluster_reconciler>(
      api_, cluster_informers{*clusters_, stateful_sets, services, config_maps, pdbs, pods},
      events_, endpoints, options_.cluster);
  topic_reconciler_ = std::make_unique<topic_reconciler>(api_, *topics_, *clusters_, events_,
                                                         endpoints, options_.topic);
  cluster_loop_ = std::make_unique<controller_loop>(
      "cluster",
      [this](const std::string& ns, const std::string& name) {
        return cluster_reconciler_->reconcile(ns, name);
      },
      metrics_, options_.workers);
  topic_loop_ = std::make_unique<controller_loop>(
      "topic",
      [this](const std::string& ns, const std::string& name) {
        return topic_reconciler_->reconcile(ns, name);
      },
      metrics_, options_.workers);

  metrics_.declare_controller("cluster");
  metrics_.declare_controller("topic");
  clusters_->on_change([this](const std::string& ns, const std::string& name) {
    cluster_loop_->enqueue(ns, name);
    enqueue_topics_of(ns, name);
  });
  topics_->on_change(
      [this](const std::string& ns, const std::string& name) { topic_loop_->enqueue(ns, name); });
  for (auto* owned : {&stateful_sets, &services, &config_maps, &pdbs, &pods}) {
    owned->on_change([this, owned](const std::string& ns, const std::string& name) {
      enqueue_owner_cluster(ns, name, *owned);
    });
  }
}

operator_app::~operator_app() {
  stop();
}

k8s::informer& operator_app::add_informer(const k8s::resource& r, std::string label_selector) {
  informers_.push_back(
      std::make_unique<k8s::informer>(api_, r, options_.ns, std::move(label_selector)));
  auto& inf = *informers_.back();
  const std::string plural = r.plural;
  metrics_.declare_watch(plural);
  inf.on_watch_restart([this, plural] { metrics_.watch_restarted(plural); });
  return inf;
}

void operator_app::enqueue_owner_cluster(const std::string& ns, const std::string& name,
                                         k8s::informer& from) {
  if (auto object = from.get(ns, name)) {
    const auto& meta = object->at("metadata");
    for (const auto& ref : meta.value("ownerReferences", nlohmann::json::array())) {
      if (ref.value("kind", "") == "Cluster" &&
          ref.value("apiVersion", "").starts_with("tern.dev/")) {
        cluster_loop_->enqueue(ns, ref.value("name", ""));
        return;
      }
    }
    // Pods belong to the StatefulSet; the instance label names the Cluster.
    const auto labels = meta.value("labels", nlohmann::json::object());
    if (auto it = labels.find("app.kubernetes.io/instance"); it != labels.end()) {
      cluster_loop_->enqueue(ns, it->get<std::string>());
      return;
    }
  }
  // Deleted (the cache no longer says by whom it was owned): look at every Cluster there.
  for (const auto& c : clusters_->list(ns))
    cluster_loop_->enqueue(ns, c["metadata"].value("name", ""));
}

void operator_app::enqueue_topics_of(const std::string& ns, const std::string& cluster) {
  for (const auto& t : topics_->list(ns)) {
    const auto spec = t.value("spec", nlohmann::json::object());
    if (spec.value("clusterRef", nlohmann::json::object()).value("name", "") == cluster)
      topic_loop_->enqueue(ns, t["metadata"].value("name", ""));
  }
}

void operator_app::start() {
  if (started_.exchange(true)) return;
  for (auto& inf : informers_) inf->start();
  // The workers start once every cache holds its first list: a reconcile from a partial
  // cache would take a Cluster that exists for one that is gone (and release a Topic's
  // finalizer without deleting its topic). start() returns at once; the leader elector calls it.
  starter_ = std::jthread([this](std::stop_token stop) {
    while (!synced()) {
      if (stop.stop_requested()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    cluster_loop_->start();
    topic_loop_->start();
    running_ = true;
  });
}

void operator_app::stop() {
  if (!started_.exchange(false)) return;
  starter_ = {};  // stops and joins
  cluster_loop_->stop();
  topic_loop_->stop();
  for (auto& inf : informers_) inf->stop();
}

bool operator_app::running() const {
  return running_;
}

bool operator_app::synced() const {
  for (const auto& inf : informers_)
    if (!inf->synced()) return false;
  return true;
}

}  // namespace tern::op::controllers
