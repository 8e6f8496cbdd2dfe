// Cluster reconciliation: objects, scale-down drains, rolling restarts, status.
#include "operator/controllers/cluster_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "operator/controllers/broker_admin_client.h"
#include "operator/controllers/broker_pods.h"
#include "operator/controllers/owned_objects.h"
#include "operator/k8s/resource.h"
#include "operator/k8s/rfc3339.h"
#include "operator/model/broker_config.h"
#include "operator/model/names.h"

namespace tern::op::controllers {

using nlohmann::json;
using namespace std::chrono_literals;

struct cluster_reconciler::pass {
  json object;
  api::cluster c;
  model::cluster_objects desired;
  std::optional<json> live_sts;
  std::vector<broker_pod> pods;
  int32_t replicas_now = 0;
  std::string progressing_reason, progressing_message;  // empty: nothing under way
  std::string degraded_reason, degraded_message;        // empty: all as asked
  bool spec_changed = false;                            // the generation was not reconciled before
  // The Balanced condition to write: set after brokers were added, until partitions have been
  // spread onto them.
  std::optional<api::condition> balanced;

  void progressing(std::string reason, std::string message) {
    if (!progressing_reason.empty()) return;  // the first thing found is the one reported
    progressing_reason = std::move(reason);
    progressing_message = std::move(message);
  }
  void degraded(std::string reason, std::string message) {
    if (!degraded_reason.empty()) return;
    degraded_reason = std::move(reason);
    degraded_message = std::move(message);
  }
  std::string name(const json& object) const { return object["metadata"].value("name", ""); }
};

namespace {

std::string join_ids(int32_t from, int32_t to) {
  std::string s;
  for (int32_t i = from; i < to; ++i) s += (s.empty() ? "" : ", ") + std::to_string(i);
  return s;
}

bool owned_by(const json& object, const std::string& uid) {
  for (const auto& ref : object["metadata"].value("ownerReferences", json::array()))
    if (ref.value("uid", "") == uid && ref.value("controller", false)) return true;
  return false;
}

}  // namespace

cluster_reconciler::cluster_reconciler(k8s::client& api, cluster_informers informers,
                                       event_recorder& events, cluster_endpoints endpoints,
                                       cluster_reconciler_options options)
    : api_(api),
      informers_(informers),
      events_(events),
      endpoints_(std::move(endpoints)),
      options_(std::move(options)),
      admins_(options_.kafka_timeout) {}

reconcile_result cluster_reconciler::reconcile(const std::string& ns, const std::string& name) {
  auto object = informers_.clusters.get(ns, name);
  // Gone: the garbage collector removes what it owned (ownerReferences).
  if (!object || object->at("metadata").contains("deletionTimestamp"))
    return reconcile_result::done();
  pass p;
  p.object = *object;
  auto parsed = api::parse_cluster(*object);
  std::vector<std::string> problems;
  if (!parsed) {
    problems.push_back(parsed.error());
  } else {
    p.c = *parsed;
    problems = api::validate(p.c);
  }
  p.c.meta.generation = object->at("metadata").value("generation", int64_t{0});
  p.spec_changed = p.c.status.observed_generation != p.c.meta.generation;
  if (!problems.empty()) {
    std::string message;
    for (const auto& s : problems) message += (message.empty() ? "" : "; ") + s;
    p.degraded("InvalidSpec", message);
    if (p.spec_changed) events_.record(*object, "Warning", "InvalidSpec", message);
    return write_status(p);
  }
  if (p.spec_changed) {
    if (auto ignored = api::ignored_config_keys(p.c); !ignored.empty()) {
      std::string keys;
      for (const auto& k : ignored) keys += (keys.empty() ? "" : ", ") + k;
      events_.record(*object, "Warning", "ConfigKeysIgnored",
                     "spec.config sets " + keys + ", which the operator manages; ignored");
    }
  }

  p.pods = broker_pods(informers_.pods, ns, model::stateful_set_name(p.c));
  p.live_sts = informers_.stateful_sets.get(ns, model::stateful_set_name(p.c));
  p.replicas_now = replicas_now(p);
  // Built for the brokers there are now: a scale-down that waits for a drain, or is refused,
  // changes nothing (the replication defaults in broker.yaml depend on the broker count).
  api::cluster now = p.c;
  now.spec.replicas = p.replicas_now;
  p.desired =
      model::build_cluster_objects(now, options_.defaults, node_racks(p), external_addresses(p));

  if (auto failed = sync_objects(p); !failed.empty()) {
    if (failed == "conflict") return reconcile_result::again_in(100ms);
    p.degraded("ApplyFailed", failed);
    write_status(p);
    return reconcile_result::failed(failed);
  }
  prune_objects(p);
  roll_pods(p);
  rebalance(p);
  delete_released_volumes(p);
  auto written = write_status(p);
  if (!written.error.empty()) return written;
  if (!p.progressing_reason.empty() ||
      static_cast<int32_t>(std::count_if(p.pods.begin(), p.pods.end(), [](const auto& b) {
        return b.ready;
      })) != p.c.spec.replicas)
    return reconcile_result::again_in(options_.progress_poll);
  return reconcile_result::resync_in(options_.resync);
}

std::map<std::string, std::string> cluster_reconciler::node_racks(pass& p) {
  std::map<std::string, std::string> racks;
  if (!p.c.spec.rack) return racks;
  for (const auto& pod : p.pods) {
    if (pod.node_name.empty() || racks.contains(pod.node_name)) continue;
    auto node = api_.get(k8s::resources::nodes, "", pod.node_name);
    if (!node) continue;  // the pod waits for its node in the rack map
    if (auto rack = model::node_rack(p.c, *node)) {
      racks[pod.node_name] = *rack;
    } else {
      p.degraded("RackLabelMissing", "node " + pod.node_name + " has no label " +
                                         p.c.spec.rack->topology_key + "; broker " +
                                         std::to_string(pod.ordinal) + " waits for it");
    }
  }
  return racks;
}

namespace {

// A node's address for clients outside the cluster: its ExternalIP, else its InternalIP.
std::string node_address(const json& node) {
  std::string internal;
  for (const auto& a : node.value("status", json::object()).value("addresses", json::array())) {
    if (a.value("type", "") == "ExternalIP") return a.value("address", "");
    if (a.value("type", "") == "InternalIP" && internal.empty()) internal = a.value("address", "");
  }
  return internal;
}

}  // namespace

std::map<int32_t, std::string> cluster_reconciler::external_addresses(pass& p) {
  std::map<int32_t, std::string> out;
  const auto& ex = p.c.spec.listeners.external;
  if (!ex) return out;
  std::vector<int32_t> pending;
  for (int32_t id = 0; id < p.replicas_now; ++id) {
    auto svc = informers_.services.get(p.c.meta.ns, model::external_service_name(p.c, id));
    std::string address;
    if (svc && ex->type == api::external_listener_type::load_balancer) {
      // The load balancer's address appears in the Service's status once it is provisioned.
      for (const auto& in : svc->value("status", json::object())
                                .value("loadBalancer", json::object())
                                .value("ingress", json::array())) {
        const std::string host = in.value("ip", in.value("hostname", ""));
        if (!host.empty()) {
          address = host + ":" + std::to_string(ex->port);
          break;
        }
      }
    } else if (svc) {
      int32_t node_port = 0;
      for (const auto& port : svc->value("spec", json::object()).value("ports", json::array()))
        node_port = port.value("nodePort", 0);
      std::string host = ex->advertised_host.value_or("");
      if (host.empty()) {
        for (const auto& pod : p.pods) {
          if (pod.ordinal != id || pod.node_name.empty()) continue;
          if (auto node = api_.get(k8s::resources::nodes, "", pod.node_name))
            host = node_address(*node);
        }
      }
      if (node_port > 0 && !host.empty()) address = host + ":" + std::to_string(node_port);
    }
    if (address.empty())
      pending.push_back(id);
    else
      out[id] = address;
  }
  if (!pending.empty()) {
    std::string ids;
    for (int32_t id : pending) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    p.progressing("ExternalAddressPending",
                  "waiting for the external address of broker(s) " + ids +
                      (ex->type == api::external_listener_type::load_balancer
                           ? " (load balancer not provisioned yet)"
                           : " (node port or node address not known yet)"));
  }
  return out;
}

int32_t cluster_reconciler::replicas_now(pass& p) {
  const int32_t desired = p.c.spec.replicas;
  if (!p.live_sts) return desired;
  const int32_t current = p.live_sts->at("spec").value("replicas", 1);
  const bool embedded = p.c.spec.metadata_store.type == api::metadata_store_type::embedded;
  broker_admin_client admin(endpoints_.admin_url(p.c, 0));
  if (desired >= current) {
    // A scale-down given up half way (the user asked for more brokers again) leaves brokers
    // draining; let them take partitions again.
    if (!embedded && desired > current) {
      for (int32_t id = 0; id < current; ++id) {
        auto share = admin.broker(id);
        if (share && share->draining) admin.stop_drain(id);
      }
    }
    if (desired > current) {
      events_.record(p.object, "Normal", "ScalingUp",
                     "adding brokers " + join_ids(current, desired));
      p.progressing("ScalingUp", "adding brokers " + join_ids(current, desired));
      if (!embedded)
        p.balanced =
            api::condition{"Balanced",
                           "False",
                           "BrokersAdded",
                           "brokers " + join_ids(current, desired) +
                               " were added; partitions move onto them once they are ready",
                           "",
                           p.c.meta.generation};
    }
    return desired;
  }
  if (embedded) return desired;  // a single broker; validation refuses more

  auto kafka = admins_.get(endpoints_.bootstrap(p.c));
  if (!kafka) {
    p.progressing("ScalingDown", "cannot check topics before a scale-down: " + kafka.error());
    return current;
  }
  auto factors = (*kafka)->replication_factors();
  if (!factors) {
    p.progressing("ScalingDown",
                  "cannot check topics before a scale-down: " + factors.error().describe());
    return current;
  }
  for (const auto& [topic, rf] : *factors) {
    if (rf > desired) {
      p.degraded("ScaleDownRefused", "topic " + topic + " has replication factor " +
                                         std::to_string(rf) + "; " + std::to_string(desired) +
                                         " brokers cannot hold it, so the cluster stays at " +
                                         std::to_string(current));
      return current;
    }
  }
  bool all_drained = true;
  for (int32_t id = desired; id < current; ++id) {
    auto share = admin.broker(id);
    if (share && !share->draining && share->replicas > 0) {
      share = admin.start_drain(id);
      if (share)
        events_.record(p.object, "Normal", "DrainingBroker",
                       "moving partitions off broker " + std::to_string(id) +
                           " before the scale-down to " + std::to_string(desired));
    }
    if (!share) {
      p.progressing("ScalingDown", "draining broker " + std::to_string(id) + ": " + share.error());
      return current;
    }
    all_drained &= share->replicas == 0;
  }
  if (!all_drained) {
    p.progressing("Draining", "moving partitions off brokers " + join_ids(desired, current) +
                                  " before removing them");
    return current;
  }
  for (int32_t id = desired; id < current; ++id) admin.stop_drain(id);
  events_.record(p.object, "Normal", "ScalingDown",
                 "brokers " + join_ids(desired, current) + " hold no partitions; removing them");
  return desired;
}

bool cluster_reconciler::was_applied_before(const std::string& ns, const json& desired) {
  std::lock_guard lock(applied_mutex_);
  auto it = last_applied_.find(ns + "/" + desired.value("kind", "") + "/" +
                               desired["metadata"].value("name", ""));
  return it != last_applied_.end() && it->second == std::hash<std::string>{}(desired.dump());
}

void cluster_reconciler::remember_applied(const std::string& ns, const json& desired) {
  std::lock_guard lock(applied_mutex_);
  last_applied_[ns + "/" + desired.value("kind", "") + "/" +
                desired["metadata"].value("name", "")] = std::hash<std::string>{}(desired.dump());
}

bool cluster_reconciler::service_monitors_installed() {
  return api_
      .get(k8s::resources::custom_resource_definitions, "", "servicemonitors.monitoring.coreos.com")
      .has_value();
}

std::string cluster_reconciler::sync_objects(pass& p) {
  struct item {
    const json* object;
    const k8s::resource* resource;
    k8s::informer* cache;  // null: read from the API
  };
  std::vector<item> items = {
      {&p.desired.config_map, &k8s::resources::config_maps, &informers_.config_maps},
      {&p.desired.headless_service, &k8s::resources::services, &informers_.services},
      {&p.desired.bootstrap_service, &k8s::resources::services, &informers_.services},
  };
  for (const auto& s : p.desired.external_services)
    items.push_back({&s, &k8s::resources::services, &informers_.services});
  for (const auto& e : p.desired.etcd_objects)
    items.push_back(
        {&e,
         e.value("kind", "") == "StatefulSet" ? &k8s::resources::stateful_sets
                                              : &k8s::resources::services,
         e.value("kind", "") == "StatefulSet" ? &informers_.stateful_sets : &informers_.services});
  items.push_back(
      {&p.desired.stateful_set, &k8s::resources::stateful_sets, &informers_.stateful_sets});
  items.push_back({&p.desired.pod_disruption_budget, &k8s::resources::pod_disruption_budgets,
                   &informers_.pod_disruption_budgets});
  if (p.desired.service_monitor) {
    if (service_monitors_installed())
      items.push_back({&*p.desired.service_monitor, &k8s::resources::service_monitors, nullptr});
    else
      p.degraded("ServiceMonitorUnavailable",
                 "spec.metrics.serviceMonitor is enabled but the ServiceMonitor CRD "
                 "(monitoring.coreos.com) is not installed");
  }

  const std::string& ns = p.c.meta.ns;
  for (const auto& it : items) {
    const std::string name = p.name(*it.object);
    std::optional<json> live;
    if (it.cache != nullptr) {
      live = it.cache->get(ns, name);
    } else if (auto got = api_.get(*it.resource, ns, name); got) {
      live = *got;
    } else if (!got.error().not_found()) {
      return "reading " + it.resource->kind + " " + name + ": " + got.error().to_string();
    }
    if (live && !owned_by(*live, p.c.meta.uid)) {
      p.degraded("ObjectConflict",
                 it.resource->kind + " " + name +
                     " exists and is not owned by this Cluster; it is left alone");
      continue;
    }
    if (live && it.resource == &k8s::resources::stateful_sets) {
      if (auto field = immutable_stateful_set_drift(*live, *it.object))
        p.degraded("StatefulSetFieldImmutable",
                   field.value() + " of StatefulSet " + name +
                       " differs from what the Cluster asks and Kubernetes cannot change it; "
                       "delete the StatefulSet with --cascade=orphan to have it re-created");
    }
    const bool applied_before = was_applied_before(ns, *it.object);
    auto r = sync_object(api_, *it.resource, *it.object, live);
    if (r) remember_applied(ns, *it.object);
    if (!r) {
      if (r.error().conflict() || r.error().already_exists()) return "conflict";
      return (live ? "updating " : "creating ") + it.resource->kind + " " + name + ": " +
             r.error().to_string();
    }
    if (*r == sync_action::created) {
      events_.record(p.object, "Normal", "Created", "created " + it.resource->kind + " " + name);
    } else if (*r == sync_action::updated) {
      // The object as built is the one applied last time: someone else changed it.
      if (!applied_before)
        events_.record(p.object, "Normal", "Updated", "updated " + it.resource->kind + " " + name);
      else
        events_.record(p.object, "Warning", "DriftReverted",
                       it.resource->kind + " " + name +
                           " was changed outside the operator; the change was reverted");
    }
  }
  return {};
}

void cluster_reconciler::prune_objects(pass& p) {
  std::set<std::string> wanted_services = {p.name(p.desired.headless_service),
                                           p.name(p.desired.bootstrap_service)};
  std::set<std::string> wanted_sets = {p.name(p.desired.stateful_set)};
  for (const auto& s : p.desired.external_services) wanted_services.insert(p.name(s));
  for (const auto& e : p.desired.etcd_objects)
    (e.value("kind", "") == "StatefulSet" ? wanted_sets : wanted_services).insert(p.name(e));
  auto prune = [&](k8s::informer& cache, const k8s::resource& r,
                   const std::set<std::string>& keep) {
    for (const auto& object : cache.list(p.c.meta.ns)) {
      const std::string name = p.name(object);
      if (keep.contains(name) || !owned_by(object, p.c.meta.uid)) continue;
      if (auto gone = api_.remove(r, p.c.meta.ns, name); gone || gone.error().not_found())
        events_.record(p.object, "Normal", "Removed",
                       "removed " + r.kind + " " + name + ", which the spec no longer asks for");
    }
  };
  prune(informers_.services, k8s::resources::services, wanted_services);
  prune(informers_.stateful_sets, k8s::resources::stateful_sets, wanted_sets);
  if (!p.desired.service_monitor) {
    const std::string name = p.name(p.desired.stateful_set);
    if (auto sm = api_.get(k8s::resources::service_monitors, p.c.meta.ns, name);
        sm && owned_by(*sm, p.c.meta.uid))
      api_.remove(k8s::resources::service_monitors, p.c.meta.ns, name);
  }
}

void cluster_reconciler::roll_pods(pass& p) {
  const std::string hash = model::config_hash_of(p.desired.stateful_set);
  std::vector<const broker_pod*> stale;
  for (const auto& pod : p.pods)
    if (pod.ordinal < p.replicas_now && !pod.terminating && pod.config_hash != hash)
      stale.push_back(&pod);
  if (stale.empty()) return;
  const auto ready = std::count_if(p.pods.begin(), p.pods.end(), [&](const broker_pod& b) {
    return b.ordinal < p.replicas_now && b.ready && !b.terminating;
  });
  const broker_pod& next = *stale.front();
  const std::string left = std::to_string(stale.size()) + " broker(s) still to restart";
  if (ready < p.replicas_now) {
    p.progressing("RollingRestart",
                  "waiting for every broker to be ready before restarting "
                  "broker " +
                      std::to_string(next.ordinal) + "; " + left);
    return;
  }
  if (p.c.spec.metadata_store.type != api::metadata_store_type::embedded) {
    // Asked of another broker than the one to restart when there is one: any broker's view of
    // the cluster will do.
    const int32_t asked = next.ordinal == 0 && p.replicas_now > 1 ? 1 : 0;
    broker_admin_client admin(endpoints_.admin_url(p.c, asked));
    auto health = admin.cluster();
    if (!health) {
      p.progressing("RollingRestart",
                    "cannot ask the brokers whether a restart is safe: " + health.error());
      return;
    }
    if (health->under_replicated > 0) {
      p.progressing("RollingRestart",
                    "waiting for " + std::to_string(health->under_replicated) +
                        " under-replicated partition(s) to catch up before restarting broker " +
                        std::to_string(next.ordinal) + "; " + left);
      return;
    }
    auto share = admin.broker(next.ordinal);
    if (!share) {
      p.progressing("RollingRestart",
                    "cannot ask the brokers whether a restart is safe: " + share.error());
      return;
    }
    // Partitions with no more replicas than min.insync.replicas (replication factor 1, say)
    // go below it on every restart; waiting cannot help them, so they do not hold it up.
    if (share->restart_blocking_partitions > 0) {
      p.progressing("RollingRestart",
                    "restarting broker " + std::to_string(next.ordinal) + " now would take " +
                        std::to_string(share->restart_blocking_partitions) +
                        " partition(s) below min.insync.replicas until their replicas catch "
                        "up; waiting; " +
                        left);
      return;
    }
  }
  auto removed = api_.remove(k8s::resources::pods, p.c.meta.ns, next.name);
  if (!removed && !removed.error().not_found()) {
    p.progressing("RollingRestart", "restarting broker " + std::to_string(next.ordinal) + ": " +
                                        removed.error().to_string());
    return;
  }
  events_.record(p.object, "Normal", "RestartingBroker",
                 "restarting broker " + std::to_string(next.ordinal) + " (pod " + next.name +
                     ") to apply a configuration or image change; " +
                     std::to_string(stale.size() - 1) + " more after it");
  p.progressing("RollingRestart",
                "restarting broker " + std::to_string(next.ordinal) + "; " + left);
}

void cluster_reconciler::rebalance(pass& p) {
  const api::condition* recorded = api::find_condition(p.c.status.conditions, "Balanced");
  const bool pending = p.balanced || (recorded != nullptr && recorded->status == "False");
  if (!pending) return;
  if (!p.balanced) p.balanced = *recorded;
  p.balanced->observed_generation = p.c.meta.generation;
  const auto ready = std::count_if(p.pods.begin(), p.pods.end(), [&](const broker_pod& b) {
    return b.ordinal < p.replicas_now && b.ready && !b.terminating;
  });
  if (ready < p.replicas_now || p.progressing_reason == "RollingRestart") {
    p.progressing("ScalingUp",
                  "waiting for every broker to be ready before moving partitions "
                  "onto the new ones");
    return;
  }
  broker_admin_client admin(endpoints_.admin_url(p.c, 0));
  auto state = admin.rebalance_status();
  // The answering broker learns of new brokers a moment after they register; until it has,
  // it would call the old brokers balanced.
  if (state && state->brokers < p.replicas_now) {
    p.progressing("ScalingUp", "waiting for broker 0 to see all " + std::to_string(p.replicas_now) +
                                   " brokers registered");
    return;
  }
  const std::string key = p.c.meta.ns + "/" + p.c.meta.name;
  if (state && !state->balanced && state->in_progress == 0 && !rebalanced_recently(key)) {
    state = admin.start_rebalance();
    if (state)
      events_.record(p.object, "Normal", "Rebalancing",
                     "moving " + std::to_string(state->moves_started) +
                         " partition replica(s) toward an even spread over " +
                         std::to_string(p.replicas_now) + " brokers");
  }
  if (!state) {
    p.progressing("Rebalancing",
                  "cannot ask the brokers how replicas are spread: " + state.error());
    return;
  }
  if (state->balanced) {
    p.balanced = api::condition{
        "Balanced",
        "True",
        "Balanced",
        "replicas are spread evenly over " + std::to_string(p.replicas_now) + " brokers",
        "",
        p.c.meta.generation};
    if (recorded == nullptr || recorded->status != "True")
      events_.record(p.object, "Normal", "Rebalanced", p.balanced->message);
    return;
  }
  p.balanced->reason = "Rebalancing";
  p.balanced->message = "moving replicas onto the new brokers; " +
                        std::to_string(state->in_progress + state->moves_started) +
                        " reassignment(s) under way";
  p.progressing("Rebalancing", p.balanced->message);
}

bool cluster_reconciler::rebalanced_recently(const std::string& key) {
  // The moves a POST started reach the brokers' view a moment later; until then the brokers
  // would plan the same moves again (harmless, they fail their compare-and-swap, but noisy).
  std::lock_guard lock(applied_mutex_);
  const auto now = std::chrono::steady_clock::now();
  auto& last = last_rebalance_[key];
  if (now - last < options_.progress_poll) return true;
  last = now;
  return false;
}

void cluster_reconciler::delete_released_volumes(pass& p) {
  if (!p.live_sts) return;
  const int32_t before = p.live_sts->at("spec").value("replicas", 1);
  if (p.replicas_now >= before) return;
  // The StatefulSet keeps the volumes of removed pods; these brokers' partitions have moved.
  for (int32_t id = p.replicas_now; id < before; ++id) {
    const std::string pvc = model::broker_pvc_name(p.c, id);
    if (auto r = api_.remove(k8s::resources::persistent_volume_claims, p.c.meta.ns, pvc); r)
      events_.record(
          p.object, "Normal", "VolumeReleased",
          "deleted PersistentVolumeClaim " + pvc + " of removed broker " + std::to_string(id));
  }
}

reconcile_result cluster_reconciler::write_status(pass& p) {
  api::cluster_status s = p.c.status;
  const std::string& ns = p.object["metadata"].value("namespace", "");
  s.observed_generation = p.c.meta.generation;
  if (p.degraded_reason != "InvalidSpec") {
    int32_t ready = 0, count = 0;
    for (const auto& pod : p.pods) {
      if (pod.terminating) continue;
      ++count;
      ready += pod.ready;
    }
    s.replicas = count;
    s.ready_replicas = ready;
    s.selector = model::broker_selector_string(p.c);
    s.bootstrap_servers = model::bootstrap_servers(p.c);
    s.brokers.clear();
    for (int32_t id = 0; id < p.c.spec.replicas; ++id) {
      api::broker_status b;
      b.id = id;
      b.host = model::broker_host(p.c, id);
      for (const auto& pod : p.pods)
        if (pod.ordinal == id) b.ready = pod.ready && !pod.terminating;
      s.brokers.push_back(b);
    }
  }
  const std::string now = k8s::now_rfc3339();
  const int64_t gen = p.c.meta.generation;
  const bool all_ready = s.ready_replicas == p.c.spec.replicas && s.replicas == p.c.spec.replicas;
  std::string ready_reason = "Ready", ready_message = "every broker is ready";
  if (!p.degraded_reason.empty()) {
    ready_reason = p.degraded_reason;
    ready_message = p.degraded_message;
  } else if (!p.progressing_reason.empty()) {
    ready_reason = p.progressing_reason;
    ready_message = p.progressing_message;
  } else if (!all_ready) {
    ready_reason = "BrokersNotReady";
    ready_message = std::to_string(s.ready_replicas) + " of " + std::to_string(p.c.spec.replicas) +
                    " brokers are ready";
  }
  const bool is_ready = ready_reason == "Ready";
  api::set_condition(s.conditions,
                     {"Ready", is_ready ? "True" : "False", ready_reason, ready_message, "", gen},
                     now);
  const bool moving = !p.progressing_reason.empty() || (!all_ready && p.degraded_reason.empty());
  api::set_condition(
      s.conditions,
      {"Progressing", moving ? "True" : "False",
       moving ? (p.progressing_reason.empty() ? "BrokersStarting" : p.progressing_reason)
              : "Stable",
       moving ? (p.progressing_message.empty() ? ready_message : p.progressing_message)
              : "nothing is changing",
       "", gen},
      now);
  api::set_condition(s.conditions,
                     {"Degraded", p.degraded_reason.empty() ? "False" : "True",
                      p.degraded_reason.empty() ? "AsExpected" : p.degraded_reason,
                      p.degraded_reason.empty() ? "the cluster is as its spec asks, or on its way"
                                                : p.degraded_message,
                      "", gen},
                     now);
  if (p.balanced) api::set_condition(s.conditions, *p.balanced, now);
  if (s == p.c.status) return reconcile_result::done();
  json updated = p.object;
  updated["status"] = api::status_to_json(s);
  auto r = api_.update(k8s::resources::clusters, ns, p.object["metadata"].value("name", ""),
                       updated, "status");
  if (!r) {
    if (r.error().not_found()) return reconcile_result::done();
    if (r.error().conflict()) return reconcile_result::again_in(100ms);
    return reconcile_result::failed("writing status: " + r.error().to_string());
  }
  return reconcile_result::done();
}

}  // namespace tern::op::controllers
