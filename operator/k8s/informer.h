// An informer: a cache of one kind of object kept current by list + watch, which tells its
// handler the namespace and name of every object that changed.
//
// It lists, then watches from the list's resourceVersion; it remembers the last
// resourceVersion seen (events and bookmarks) and re-watches from it when a stream ends; on
// 410 Gone it lists again and reports the objects that went away meanwhile; on errors it
// reconnects with jittered exponential backoff (200 ms doubling to 30 s).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/k8s/client.h"
#include "operator/k8s/resource.h"

namespace tern::op::k8s {

class informer {
 public:
  // `api` must outlive the informer. An empty `ns` watches all namespaces.
  informer(client& api, resource r, std::string ns, std::string label_selector = {});
  ~informer();  // stops
  informer(const informer&) = delete;
  informer& operator=(const informer&) = delete;

  using handler = std::function<void(const std::string& ns, const std::string& name)>;
  // Called on the informer's thread for ADDED, MODIFIED and DELETED, and for every object after
  // each (re)list, including objects that disappeared between lists. When it runs, the cache
  // already holds the change. Set handlers before start().
  void on_change(handler h);
  // Called each time a watch is started again after the previous one ended (for a metric).
  void on_watch_restart(std::function<void()> h);
  // Seconds a single watch may last before the server ends it (default 300, jittered up to
  // twice that, as client-go does).
  void set_watch_timeout(int seconds);

  void start();
  void stop();          // idempotent; returns when the thread has ended
  bool synced() const;  // the first list is in the cache

  std::optional<nlohmann::json> get(const std::string& ns, const std::string& name) const;
  // Every cached object, or those of one namespace.
  std::vector<nlohmann::json> list(const std::string& ns = {}) const;
  // The resourceVersion the next watch would start from.
  std::string last_resource_version() const;

 private:
  using key = std::pair<std::string, std::string>;  // namespace, name
  void run(std::stop_token stop);
  bool relist(std::stop_token stop);
  void apply(std::string_view type, const nlohmann::json& object);
  void notify(const key& k);

  client& api_;
  const resource resource_;
  const std::string ns_;
  const std::string selector_;
  handler on_change_;
  std::function<void()> on_restart_;
  std::atomic<int> watch_timeout_{300};

  mutable std::shared_mutex mu_;
  std::map<key, nlohmann::json> cache_;
  std::string resource_version_;
  std::atomic<bool> synced_{false};

  std::mutex thread_mu_;
  std::jthread thread_;
};

}  // namespace tern::op::k8s
