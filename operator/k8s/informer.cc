// The informer's list/watch loop and cache.
#include "operator/k8s/informer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

namespace tern::op::k8s {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kInitialBackoff = 200ms;
constexpr std::chrono::milliseconds kMaxBackoff = 30s;

std::pair<std::string, std::string> key_of(const json& object) {
  const json& meta = object["metadata"];
  if (!meta.is_object()) return {};
  return {meta.value("namespace", ""), meta.value("name", "")};
}

std::string rv_of(const json& object) {
  const json& meta = object["metadata"];
  if (!meta.is_object()) return {};
  return meta.value("resourceVersion", "");
}

// Sleeps for `d` or until a stop is requested; false when stopped.
bool sleep_for(std::chrono::milliseconds d, const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop, d, [] { return false; }) && !stop.stop_requested();
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * f(rng)));
}

}  // namespace

informer::informer(client& api, resource r, std::string ns, std::string label_selector)
    : api_(api),
      resource_(std::move(r)),
      ns_(std::move(ns)),
      selector_(std::move(label_selector)) {}

informer::~informer() {
  stop();
}

void informer::on_change(handler h) {
  on_change_ = std::move(h);
}
void informer::on_watch_restart(std::function<void()> h) {
  on_restart_ = std::move(h);
}
void informer::set_watch_timeout(int seconds) {
  watch_timeout_ = seconds;
}

void informer::start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void informer::stop() {
  std::lock_guard lock(thread_mu_);
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  thread_ = {};
}

bool informer::synced() const {
  return synced_.load();
}

std::optional<json> informer::get(const std::string& ns, const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = cache_.find({resource_.namespaced ? ns : std::string(), name});
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> informer::list(const std::string& ns) const {
  std::shared_lock lock(mu_);
  std::vector<json> out;
  for (const auto& [k, v] : cache_)
    if (ns.empty() || k.first == ns) out.push_back(v);
  return out;
}

std::string informer::last_resource_version() const {
  std::shared_lock lock(mu_);
  return resource_version_;
}

void informer::notify(const key& k) {
  if (!on_change_) return;
  try {
    on_change_(k.first, k.second);
  } catch (const std::exception& e) {
    spdlog::error("informer {}: change handler threw: {}", resource_.plural, e.what());
  }
}

bool informer::relist(std::stop_token stop) {
  auto listed = api_.list(resource_, ns_, selector_);
  if (!listed) {
    if (!stop.stop_requested())
      spdlog::warn("informer {}: list failed: {}", resource_.plural, listed.error().to_string());
    return false;
  }
  std::map<key, json> fresh;
  for (auto& item : (*listed)["items"]) {
    auto k = key_of(item);
    fresh[k] = std::move(item);
  }
  std::set<key> changed;
  {
    std::unique_lock lock(mu_);
    for (const auto& [k, v] : cache_)
      if (!fresh.contains(k)) changed.insert(k);  // deleted while we were not watching
    for (const auto& [k, v] : fresh) changed.insert(k);
    cache_ = std::move(fresh);
    resource_version_ = rv_of(*listed);
  }
  synced_ = true;
  for (const auto& k : changed) notify(k);
  return true;
}

void informer::apply(std::string_view type, const json& object) {
  const std::string rv = rv_of(object);
  if (type == "BOOKMARK") {
    if (!rv.empty()) {
      std::unique_lock lock(mu_);
      resource_version_ = rv;
    }
    return;
  }
  const key k = key_of(object);
  {
    std::unique_lock lock(mu_);
    if (type == "DELETED") {
      cache_.erase(k);
    } else if (type == "ADDED" || type == "MODIFIED") {
      cache_[k] = object;
    } else {
      spdlog::warn("informer {}: unknown event type {}", resource_.plural, type);
      return;
    }
    if (!rv.empty()) resource_version_ = rv;
  }
  notify(k);
}

void informer::run(std::stop_token stop) {
  std::chrono::milliseconds backoff = kInitialBackoff;
  auto back_off = [&] {
    bool ok = sleep_for(jittered(backoff), stop);
    backoff = std::min(backoff * 2, kMaxBackoff);
    return ok;
  };
  bool need_list = true;
  bool first_watch = true;
  std::mt19937 rng{std::random_device{}()};
  while (!stop.stop_requested()) {
    if (need_list) {
      if (!relist(stop)) {
        if (!back_off()) return;
        continue;
      }
      need_list = false;
      backoff = kInitialBackoff;
    }
    if (!first_watch && on_restart_) on_restart_();
    first_watch = false;
    const int base = std::max(1, watch_timeout_.load());
    const int timeout = std::uniform_int_distribution<int>(base, 2 * base)(rng);
    bool got_event = false;
    const watch_end end = api_.watch(
        resource_, ns_, last_resource_version(), selector_, timeout,
        [&](std::string_view type, const json& object) {
          got_event = true;
          apply(type, object);
        },
        stop);
    switch (end) {
      case watch_end::stopped:
        return;
      case watch_end::closed:
        // A stream that ends without a single event or bookmark may be a server refusing us
        // quietly: do not spin.
        if (got_event) {
          backoff = kInitialBackoff;
        } else if (!back_off()) {
          return;
        }
        break;
      case watch_end::gone:
        spdlog::info("informer {}: resourceVersion {} is too old; listing again", resource_.plural,
                     last_resource_version());
        need_list = true;
        break;
      case watch_end::error:
        if (got_event) backoff = kInitialBackoff;
        if (!back_off()) return;
        break;
    }
  }
}

}  // namespace tern::op::k8s
