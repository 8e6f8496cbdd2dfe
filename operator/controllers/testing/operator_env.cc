// The in-process operator test environment.
#include "operator/controllers/testing/operator_env.h"

#include <stdexcept>

#include "operator/k8s/rfc3339.h"

namespace tern::op::testing {

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

namespace {

k8s::connection connect_to(kube_double::kube_api_double& server) {
  k8s::connection c;
  c.server = server.url();
  c.ns = "default";
  return c;
}

}  // namespace

operator_env::operator_env() : api(connect_to(server)) {
  for (const char* crd :
       {"/charts/tern/crds/tern.dev_clusters.yaml", "/charts/tern/crds/tern.dev_topics.yaml"}) {
    if (auto loaded = server.load_crds(std::string(TERN_SOURCE_DIR) + crd); !loaded)
      throw std::runtime_error(loaded.error());
  }
}

operator_env::~operator_env() {
  stop();
}

controllers::operator_options operator_env::fast_options() {
  controllers::operator_options o;
  o.workers = 2;
  o.cluster.progress_poll = std::chrono::milliseconds(200);
  o.cluster.resync = std::chrono::seconds(2);
  o.cluster.kafka_timeout = std::chrono::seconds(3);
  o.topic.resync = std::chrono::milliseconds(500);
  o.topic.kafka_timeout = std::chrono::seconds(3);
  o.topic.finalizer_timeout = std::chrono::seconds(3);
  return o;
}

void operator_env::start(controllers::operator_options options) {
  controllers::cluster_endpoints endpoints{
      [this](const api::cluster& c) {
        std::lock_guard lock(mu_);
        auto it = bootstrap_.find(c.meta.name);
        return it != bootstrap_.end() ? it->second : std::string("127.0.0.1:1");
      },
      [this](const api::cluster& c, int32_t) {
        std::lock_guard lock(mu_);
        auto it = admin_.find(c.meta.name);
        return it != admin_.end() ? it->second : std::string("http://127.0.0.1:1");
      }};
  app_ = std::make_unique<controllers::operator_app>(api, metrics, options, endpoints);
  app_->start();
  if (!eventually([&] { return app_->running(); }))
    throw std::runtime_error("the operator's caches did not sync");
}

void operator_env::stop() {
  statefulset_controller_ = {};
  if (app_) app_->stop();
  app_.reset();
}

void operator_env::set_bootstrap(const std::string& cluster, const std::string& bootstrap) {
  std::lock_guard lock(mu_);
  bootstrap_[cluster] = bootstrap;
}

void operator_env::set_admin_url(const std::string& cluster, const std::string& url) {
  std::lock_guard lock(mu_);
  admin_[cluster] = url;
}

void operator_env::run_statefulset_controller(const std::string& ns) {
  statefulset_controller_ = std::jthread([this, ns](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (!paused_) sync_pods(ns);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

std::vector<std::string> operator_env::pod_log() {
  std::lock_guard lock(mu_);
  return pod_log_;
}

void operator_env::sync_pods(const std::string& ns) {
  auto sets = api.list(k8s::resources::stateful_sets, ns);
  if (!sets) return;
  for (const auto& sts : (*sets)["items"]) {
    const std::string name = sts["metadata"]["name"];
    const int replicas = sts["spec"].value("replicas", 1);
    const auto& tmpl = sts["spec"]["template"];
    for (int i = 0; i < replicas + 8; ++i) {
      const std::string pod = name + "-" + std::to_string(i);
      auto live = api.get(k8s::resources::pods, ns, pod);
      if (i >= replicas) {
        if (live && api.remove(k8s::resources::pods, ns, pod)) {
          std::lock_guard lock(mu_);
          pod_log_.push_back("removed " + pod);
        }
        continue;
      }
      if (live) continue;
      json object = {{"apiVersion", "v1"},
                     {"kind", "Pod"},
                     {"metadata",
                      {{"name", pod},
                       {"namespace", ns},
                       {"labels", tmpl["metadata"].value("labels", json::object())},
                       {"annotations", tmpl["metadata"].value("annotations", json::object())},
                       {"ownerReferences", json::array({{{"apiVersion", "apps/v1"},
                                                         {"kind", "StatefulSet"},
                                                         {"name", name},
                                                         {"uid", sts["metadata"]["uid"]},
                                                         {"controller", true}}})}}},
                     {"spec", tmpl["spec"]}};
      object["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = pod;
      // Scheduled round-robin on three nodes, which tests may create as Node objects.
      object["spec"]["nodeName"] = "node-" + std::to_string(i % 3);
      int others = 0;
      for (int j = 0; j < replicas; ++j)
        others +=
            j != i && api.get(k8s::resources::pods, ns, name + "-" + std::to_string(j)).has_value();
      auto created = api.create(k8s::resources::pods, ns, object);
      if (!created) continue;
      json ready = *created;
      ready["status"] = {
          {"phase", "Running"},
          {"conditions", json::array({{{"type", "Ready"},
                                       {"status", "True"},
                                       {"lastTransitionTime", k8s::now_rfc3339()}}})}};
      api.update(k8s::resources::pods, ns, pod, ready, "status");
      std::lock_guard lock(mu_);
      pod_log_.push_back(
          "created " + pod + " others=" + std::to_string(others) + " " +
          tmpl["metadata"].value("annotations", json::object()).value("tern.dev/config-hash", ""));
    }
  }
}

json operator_env::must_create(const k8s::resource& r, const json& object, const std::string& ns) {
  auto created = api.create(r, ns, object);
  if (!created) throw std::runtime_error("create: " + created.error().to_string());
  return *created;
}

std::optional<json> operator_env::get(const k8s::resource& r, const std::string& name,
                                      const std::string& ns) {
  auto got = api.get(r, ns, name);
  if (!got) return std::nullopt;
  return *got;
}

json operator_env::must_edit(const k8s::resource& r, const std::string& name,
                             const std::function<void(json&)>& edit, const std::string& ns) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto got = api.get(r, ns, name);
    if (!got) throw std::runtime_error("edit: " + got.error().to_string());
    json changed = *got;
    edit(changed);
    auto put = api.update(r, ns, name, changed);
    if (put) return *put;
    if (!put.error().conflict()) throw std::runtime_error("edit: " + put.error().to_string());
  }
  throw std::runtime_error("edit: conflicts did not stop");
}

std::vector<std::string> operator_env::events_about(const std::string& name,
                                                    const std::string& ns) {
  std::vector<std::string> out;
  auto events = api.list(k8s::resources::events, ns);
  if (!events) return out;
  for (const auto& e : (*events)["items"])
    if (e["involvedObject"].value("name", "") == name)
      out.push_back(e.value("reason", "") + ": " + e.value("message", ""));
  return out;
}

std::string operator_env::condition(const json& object, const std::string& type,
                                    const std::string& field) {
  for (const auto& c : object.value(field, json::object()).value("conditions", json::array()))
    if (c.value("type", "") == type) return c.value("status", "") + "/" + c.value("reason", "");
  return "";
}

}  // namespace tern::op::testing
