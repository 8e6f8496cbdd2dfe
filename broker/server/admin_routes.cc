// Health and admin endpoints.
#include "broker/server/admin_routes.h"

#include <nlohmann/json.hpp>

#include "broker/cluster/rebalance_plan.h"
#include "broker/protocol/value.h"
#include "broker/server/broker.h"
#include "broker/storage/topic_config.h"

namespace tern::server {

namespace {

using nlohmann::json;

admin::http_reply reply(unsigned status, const json& body) {
  return {status, "application/json", body.dump()};
}

admin::http_reply error(unsigned status, const std::string& message) {
  return reply(status, json{{"error", message}});
}

int64_t min_insync(broker& b, const cluster::cluster_view& v, const std::string& topic) {
  auto t = v.topics.find(topic);
  if (t == v.topics.end()) return 1;
  return storage::resolve_topic_config(b.config().topic_defaults, t->second.configs)
      .min_insync_replicas;
}

json cluster_summary(broker& b) {
  json j;
  j["cluster_id"] = b.metadata().cluster_id();
  if (b.replicas() == nullptr) {
    j["mode"] = "single-node";
    j["controller"] = b.node_id();
    j["brokers"] = json::array({{{"id", b.node_id()},
                                 {"host", b.advertised_host()},
                                 {"port", b.advertised_port()},
                                 {"draining", false}}});
    int64_t n = 0, below = 0;
    for (const auto& [key, log] : b.logs().logs()) {
      ++n;
      below += log->config().min_insync_replicas > 1;
    }
    j["partitions"] = n;
    j["under_replicated_partitions"] = 0;
    j["under_min_isr_partitions"] = below;
    j["offline_partitions"] = 0;
    j["reassigning_partitions"] = 0;
    return j;
  }
  const auto& v = b.replicas()->view();
  j["mode"] = "cluster";
  j["controller"] = v.controller;
  j["brokers"] = json::array();
  for (const auto& [id, r] : v.brokers)
    j["brokers"].push_back({{"id", id},
                            {"host", r.host},
                            {"port", r.port},
                            {"rack", r.rack},
                            {"admin_url", r.admin_url},
                            {"draining", v.draining.contains(id)}});
  int64_t under = 0, below = 0, offline = 0, moving = 0;
  for (const auto& [ref, p] : v.partitions) {
    const auto& s = p.state;
    under += s.isr.size() < s.target().size();
    below += static_cast<int64_t>(s.isr.size()) < min_insync(b, v, ref.topic);
    offline += s.leader < 0;
    moving += s.reassigning();
  }
  j["partitions"] = v.partitions.size();
  j["under_replicated_partitions"] = under;
  j["under_min_isr_partitions"] = below;
  j["offline_partitions"] = offline;
  j["reassigning_partitions"] = moving;
  return j;
}

// What one broker holds, and whether stopping it now would take a partition below
// min.insync.replicas. Of those, restart_blocking_partitions counts the ones that will not be
// at risk once their replicas are in sync: waiting helps them. The others have no more replicas
// than min.insync.replicas (a replication factor of 1, say), so every restart takes them below
// it, and the operator restarts a broker when restart_blocking_partitions is 0.
json broker_share(broker& b, int32_t id) {
  json j{{"id", id}};
  if (b.replicas() == nullptr) {
    j["live"] = id == b.node_id();
    j["draining"] = false;
    j["replicas"] = id == b.node_id() ? b.logs().logs().size() : 0;
    j["leaders"] = j["replicas"];
    j["partitions_below_min_isr_if_stopped"] = 0;
    j["restart_blocking_partitions"] = 0;
    return j;
  }
  const auto& v = b.replicas()->view();
  int64_t replicas = 0, leaders = 0, at_risk = 0, blocking = 0;
  for (const auto& [ref, p] : v.partitions) {
    const auto& s = p.state;
    replicas += s.has_replica(id);
    leaders += s.leader == id;
    const int64_t min_isr = min_insync(b, v, ref.topic);
    if (s.in_isr(id) && static_cast<int64_t>(s.isr.size()) - 1 < min_isr) {
      ++at_risk;
      blocking += static_cast<int64_t>(s.target().size()) > min_isr;
    }
  }
  j["live"] = v.is_live(id);
  j["draining"] = v.draining.contains(id);
  j["replicas"] = replicas;
  j["leaders"] = leaders;
  j["partitions_below_min_isr_if_stopped"] = at_risk;
  j["restart_blocking_partitions"] = blocking;
  j["drained"] = v.draining.contains(id) && replicas == 0;
  return j;
}

admin::http_reply drain(broker& b, const std::string& method, int32_t id) {
  if (method == "GET") return reply(200, broker_share(b, id));
  if (method != "POST" && method != "DELETE") return error(405, "use GET, POST or DELETE");
  if (b.agent() == nullptr) return error(409, "draining needs cluster mode (metadata.store=etcd)");
  if (method == "POST" && !b.replicas()->view().brokers.contains(id) &&
      !b.replicas()->view().draining.contains(id))
    return error(404, "broker " + std::to_string(id) + " is not registered");
  if (auto r = b.agent()->set_draining(id, method == "POST"); !r) return error(503, r.error());
  return reply(202, broker_share(b, id));
}

// Reassignments started per POST: each copies a partition to another broker, so a bounded
// number at a time keeps the copying from crowding out clients' traffic.
constexpr size_t kRebalanceMovesPerRequest = 16;

json loads_json(const std::map<int32_t, int>& load) {
  json j = json::object();
  for (const auto& [id, n] : load) j[std::to_string(id)] = n;
  return j;
}

// GET: whether replicas are spread evenly over the live brokers; POST: start moving some
// toward that (the operator calls it after adding brokers, until it answers balanced).
admin::http_reply rebalance(broker& b, const std::string& method) {
  if (method != "GET" && method != "POST") return error(405, "use GET or POST");
  if (b.replicas() == nullptr)
    return reply(200, json{{"balanced", true}, {"moves_started", 0}, {"in_progress", 0}});
  auto plan = cluster::plan_rebalance(b.replicas()->view(),
                                      method == "POST" ? kRebalanceMovesPerRequest : 0);
  const bool balanced_now = plan.moves.empty() && plan.balanced_after && plan.in_progress == 0;
  for (auto& move : plan.moves) b.agent()->submit(std::move(move), [](bool) {});
  return reply(method == "POST" ? 202 : 200,
               json{{"balanced", balanced_now},
                    {"moves_started", plan.moves.size()},
                    {"in_progress", plan.in_progress},
                    {"balanced_after_moves", plan.balanced_after},
                    {"replicas_per_broker", loads_json(plan.load_before)},
                    {"replicas_per_broker_after_moves", loads_json(plan.load_after)}});
}

// A topic as the operator reports it in a Topic's status.
admin::http_reply topic_summary(broker& b, const std::string& method, const std::string& name) {
  if (method != "GET") return error(405, "use GET");
  auto t = b.topics().find(name);
  if (!t) return error(404, "topic " + name + " does not exist");
  return reply(200, json{{"name", t->name},
                         {"topic_id", protocol::uuid_value{t->id}.to_string()},
                         {"partitions", t->partitions},
                         {"replication_factor", t->replication_factor},
                         {"configs", t->configs}});
}

}  // namespace

admin::http_reply route_admin(broker& b, const std::string& method, const std::string& path) {
  if (path == "/healthz") return {200, "application/json", R"({"status":"ok"})"};
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", b.metrics().scrape()};
  if (path == "/readyz") {
    const bool ready = b.ready() && (b.replicas() == nullptr || b.replicas()->view().revision > 0);
    return reply(ready ? 200 : 503,
                 json{{"ready", ready},
                      {"reason", ready ? "metadata loaded, listeners bound" : "starting"}});
  }
  if (path == "/v1/cluster") {
    if (method != "GET") return error(405, "use GET");
    return reply(200, cluster_summary(b));
  }
  if (path == "/v1/rebalance") return rebalance(b, method);
  constexpr std::string_view kTopics = "/v1/topics/";
  if (path.starts_with(kTopics) && path.size() > kTopics.size())
    return topic_summary(b, method, path.substr(kTopics.size()));
  constexpr std::string_view kBrokers = "/v1/brokers/";
  if (path.starts_with(kBrokers)) {
    std::string rest = path.substr(kBrokers.size());
    const bool drain_path = rest.ends_with("/drain");
    if (drain_path) rest.resize(rest.size() - std::string_view("/drain").size());
    int32_t id = -1;
    try {
      size_t used = 0;
      id = std::stoi(rest, &used);
      if (used != rest.size() || id < 0) id = -1;
    } catch (const std::exception&) {
    }
    if (id < 0) return error(404, "not found");
    if (drain_path) return drain(b, method, id);
    if (method != "GET") return error(405, "use GET");
    return reply(200, broker_share(b, id));
  }
  return error(404, "not found");
}

}  // namespace tern::server
