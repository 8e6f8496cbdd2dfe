// Topic reconciliation: finalizer, Kafka topic, status.
#include "operator/controllers/topic_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "operator/k8s/resource.h"
#include "operator/k8s/rfc3339.h"

namespace tern::op::controllers {

using nlohmann::json;
using namespace std::chrono_literals;

struct topic_reconciler::outcome {
  api::topic_status status;      // topic facts filled in; conditions set by write_status's caller
  std::string reason = "Ready";  // the Ready condition's reason
  std::string problem;           // empty: Ready
  bool retry = false;            // the problem may go away by itself (cluster unreachable)
};

namespace {

api::condition ready_condition(const std::string& reason, const std::string& problem,
                               int64_t generation) {
  return {std::string(api::kConditionReady),
          problem.empty() ? "True" : "False",
          reason,
          problem.empty() ? "the topic exists in the cluster as specified" : problem,
          "",
          generation};
}

std::chrono::system_clock::time_point parse_time(const std::string& rfc3339) {
  std::tm tm{};
  if (strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr)
    return std::chrono::system_clock::now();
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string describe_configs(const std::map<std::string, std::string>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s.empty() ? "(none)" : s;
}

}  // namespace

topic_reconciler::topic_reconciler(k8s::client& api, k8s::informer& topics, k8s::informer& clusters,
                                   event_recorder& events, cluster_endpoints endpoints,
                                   topic_reconciler_options options)
    : api_(api),
      topics_(topics),
      clusters_(clusters),
      events_(events),
      endpoints_(std::move(endpoints)),
      options_(options),
      admins_(options.kafka_timeout) {}

std::optional<api::cluster> topic_reconciler::find_cluster(const std::string& ns,
                                                           const std::string& name) const {
  auto object = clusters_.get(ns, name);
  if (!object) return std::nullopt;
  auto c = api::parse_cluster(*object);
  if (!c) return std::nullopt;
  return *c;
}

reconcile_result topic_reconciler::reconcile(const std::string& ns, const std::string& name) {
  auto object = topics_.get(ns, name);
  if (!object) return reconcile_result::done();  // gone: nothing left to do
  auto parsed = api::parse_topic(*object);
  if (!parsed) {
    // Only an object that bypassed the CRD's schema gets here; say so where the user looks.
    api::topic_status status;
    status.observed_generation = object->at("metadata").value("generation", int64_t{0});
    status.error = parsed.error();
    api::set_condition(status.conditions,
                       ready_condition("InvalidSpec", parsed.error(), status.observed_generation),
                       k8s::now_rfc3339());
    return write_status(*object, {}, status);
  }
  const api::topic& t = *parsed;
  if (t.meta.being_deleted()) return finalize(t, *object);

  if (!t.meta.has_finalizer(api::kTopicFinalizer)) {
    json updated = *object;
    updated["metadata"]["finalizers"].push_back(std::string(api::kTopicFinalizer));
    auto r = api_.update(k8s::resources::topics, ns, name, updated);
    if (!r) {
      if (r.error().conflict() || r.error().not_found()) return reconcile_result::again_in(1ms);
      return reconcile_result::failed("adding the finalizer: " + r.error().to_string());
    }
    // The update's watch event brings the object back with the finalizer.
    return reconcile_result::done();
  }

  outcome o;
  o.status = t.status;
  o.status.observed_generation = t.meta.generation;
  if (auto problems = api::validate(t); !problems.empty()) {
    o.reason = "InvalidSpec";
    for (const auto& p : problems) o.problem += (o.problem.empty() ? "" : "; ") + p;
  } else if (auto c = find_cluster(ns, t.spec.cluster_name); !c) {
    o.reason = "ClusterNotFound";
    o.problem = "Cluster " + t.spec.cluster_name + " does not exist in namespace " + ns;
    o.retry = true;
  } else {
    o = sync(t, *object, *c);
  }
  o.status.observed_generation = t.meta.generation;
  o.status.error = o.problem;
  api::set_condition(o.status.conditions, ready_condition(o.reason, o.problem, t.meta.generation),
                     k8s::now_rfc3339());
  auto written = write_status(*object, t.status, o.status);
  if (!written.error.empty()) return written;
  // The cluster missing or unreachable is a failure (retried with backoff, counted as an
  // error for the TernOperatorReconcileErrors alert); a Cluster change queues the Topic again.
  if (o.retry) return reconcile_result::failed(o.reason + ": " + o.problem);
  // A problem the user must fix (a refused spec) waits for their change, but the cluster is
  // still compared periodically.
  if (!o.problem.empty()) return reconcile_result::again_in(options_.resync);
  // A topic just created may not be in every broker's view yet; its id follows shortly.
  if (o.status.topic_id.empty()) return reconcile_result::again_in(1s);
  return reconcile_result::resync_in(options_.resync);
}

topic_reconciler::outcome topic_reconciler::sync(const api::topic& t, const json& object,
                                                 const api::cluster& c) {
  outcome o;
  o.status = t.status;
  const std::string topic = api::kafka_name(t);
  if (!t.status.topic_name.empty() && t.status.topic_name != topic) {
    o.reason = "TopicNameImmutable";
    o.problem = "topicName cannot change once the topic exists (it is " + t.status.topic_name +
                "); create another Topic instead";
    return o;
  }
  auto admin = admins_.get(endpoints_.bootstrap(c));
  if (!admin) {
    o.reason = "KafkaClientError";
    o.problem = admin.error();
    o.retry = true;
    return o;
  }
  auto unreachable = [&](const kafka_error& e) {
    o.reason = e.unreachable ? "ClusterUnreachable" : "KafkaError";
    o.problem = "cluster " + c.meta.name + " at " + (*admin)->bootstrap() + ": " + e.describe();
    o.retry = true;
    return o;
  };

  auto live = (*admin)->describe(topic);
  if (!live) return unreachable(live.error());
  if (!*live) {
    if (auto r =
            (*admin)->create(topic, t.spec.partitions, t.spec.replication_factor, t.spec.config);
        !r && r.error().code != "TOPIC_ALREADY_EXISTS") {
      o.reason = r.error().unreachable ? "ClusterUnreachable" : "CreateFailed";
      o.problem = "creating topic " + topic + ": " + r.error().describe();
      o.retry = true;
      return o;
    }
    events_.record(object, "Normal", "Created",
                   "created topic " + topic + " with " + std::to_string(t.spec.partitions) +
                       " partitions, replication factor " +
                       std::to_string(t.spec.replication_factor));
    live = (*admin)->describe(topic);
    if (!live) return unreachable(live.error());
    if (!*live) {
      o.reason = "Creating";
      o.problem = "topic " + topic + " is not visible in the cluster yet";
      o.retry = true;
      return o;
    }
  }
  topic_state state = **live;
  // Whether the spec changed since the last successful pass; if not, a difference was made in
  // the cluster by someone else, and is reported as reverted.
  const bool spec_unchanged = t.status.observed_generation == t.meta.generation &&
                              api::is_condition_true(t.status.conditions, api::kConditionReady);
  std::vector<std::string> problems;
  if (state.partitions < t.spec.partitions) {
    if (auto r = (*admin)->add_partitions(topic, t.spec.partitions); !r) {
      problems.push_back("adding partitions: " + r.error().describe());
      o.retry = true;
    } else {
      events_.record(object, "Normal", "PartitionsAdded",
                     "partitions of " + topic + " increased from " +
                         std::to_string(state.partitions) + " to " +
                         std::to_string(t.spec.partitions));
      state.partitions = t.spec.partitions;
    }
  } else if (state.partitions > t.spec.partitions) {
    o.reason = "PartitionDecreaseRefused";
    problems.push_back("the topic has " + std::to_string(state.partitions) +
                       " partitions and Kafka cannot remove partitions; spec.partitions " +
                       std::to_string(t.spec.partitions) + " is refused");
  }
  if (state.replication_factor != t.spec.replication_factor) {
    if (o.reason == "Ready") o.reason = "ReplicationFactorChangeUnsupported";
    problems.push_back("the topic's replication factor is " +
                       std::to_string(state.replication_factor) +
                       "; changing it is not supported yet (spec.replicationFactor " +
                       std::to_string(t.spec.replication_factor) + ")");
  }
  if (state.configs != t.spec.config) {
    if (auto r = (*admin)->set_configs(topic, t.spec.config); !r) {
      if (o.reason == "Ready") o.reason = "ConfigRejected";
      problems.push_back("config: " + r.error().describe());
      o.retry = r.error().unreachable;
    } else {
      events_.record(
          object, spec_unchanged ? "Warning" : "Normal",
          spec_unchanged ? "ConfigReverted" : "ConfigUpdated",
          (spec_unchanged ? "reverted a change made in the cluster: config was " : "config was ") +
              describe_configs(state.configs) + ", now " + describe_configs(t.spec.config));
      state.configs = t.spec.config;
    }
  }
  if (!problems.empty() && o.reason == "Ready") o.reason = "KafkaError";
  for (const auto& p : problems) o.problem += (o.problem.empty() ? "" : "; ") + p;

  o.status.topic_name = topic;
  o.status.partitions = state.partitions;
  o.status.replication_factor = state.replication_factor;
  broker_admin_client broker(endpoints_.admin_url(c, 0));
  if (auto id = broker.topic_id(topic); id && !id->empty()) o.status.topic_id = *id;
  return o;
}

reconcile_result topic_reconciler::finalize(const api::topic& t, const json& object) {
  if (!t.meta.has_finalizer(api::kTopicFinalizer)) return reconcile_result::done();
  const std::string topic = api::kafka_name(t);
  // Only a topic this Topic created is deleted: status.topicName is set once it existed.
  const bool created = !t.status.topic_name.empty();
  if (!api::retain_on_delete(t) && created) {
    auto c = find_cluster(t.meta.ns, t.spec.cluster_name);
    if (c) {
      std::string why;
      auto admin = admins_.get(endpoints_.bootstrap(*c));
      if (!admin) {
        why = admin.error();
      } else if (auto r = (*admin)->remove(topic);
                 !r && r.error().code != "UNKNOWN_TOPIC_OR_PART") {
        why = r.error().describe();
      } else {
        events_.record(object, "Normal", "Deleted", "deleted topic " + topic + " in the cluster");
      }
      if (!why.empty()) {
        const auto asked = parse_time(t.meta.deletion_timestamp.value_or(""));
        if (std::chrono::system_clock::now() - asked < options_.finalizer_timeout)
          return reconcile_result::failed("deleting topic " + topic + ": " + why);
        events_.record(object, "Warning", "FinalizerReleased",
                       "could not delete topic " + topic + " for " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              options_.finalizer_timeout)
                                              .count()) +
                           " s (" + why + "); the Topic is released and the topic may remain");
      }
    } else {
      events_.record(object, "Normal", "FinalizerReleased",
                     "Cluster " + t.spec.cluster_name + " is gone; nothing to delete");
    }
  } else if (api::retain_on_delete(t)) {
    events_.record(object, "Normal", "Retained",
                   "topic " + topic + " is kept in the cluster (tern.dev/deletion-policy=retain)");
  }
  json updated = object;
  auto& finalizers = updated["metadata"]["finalizers"];
  finalizers.erase(
      std::remove(finalizers.begin(), finalizers.end(), json(std::string(api::kTopicFinalizer))),
      finalizers.end());
  auto r = api_.update(k8s::resources::topics, t.meta.ns, t.meta.name, updated);
  if (!r) {
    if (r.error().not_found()) return reconcile_result::done();
    if (r.error().conflict()) return reconcile_result::again_in(1ms);
    return reconcile_result::failed("removing the finalizer: " + r.error().to_string());
  }
  return reconcile_result::done();
}

reconcile_result topic_reconciler::write_status(const json& object, const api::topic_status& old,
                                                api::topic_status status) {
  if (status == old) return reconcile_result::done();
  json updated = object;
  updated["status"] = api::status_to_json(status);
  const auto& meta = object.at("metadata");
  auto r = api_.update(k8s::resources::topics, meta.value("namespace", ""), meta.value("name", ""),
                       updated, "status");
  if (!r) {
    if (r.error().not_found()) return reconcile_result::done();
    // A newer version exists; its watch event queues this Topic again.
    if (r.error().conflict()) return reconcile_result::again_in(1ms);
    return reconcile_result::failed("writing status: " + r.error().to_string());
  }
  return reconcile_result::done();
}

}  // namespace tern::op::controllers
