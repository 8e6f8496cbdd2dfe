// Objects by resource and key with etcd-like revisions: one global counter gives every write its
// resourceVersion, and a bounded history of changes serves watches from an older
// resourceVersion and consistent list pages. Not thread-safe: the caller holds one lock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::kube_double {

using json = nlohmann::json;

enum class event_type { added, modified, deleted };

struct store_event {
  event_type type = event_type::added;
  uint64_t rv = 0;
  std::string resource;  // resource_type::id()
  std::string key;       // "namespace/name" or "name"
  json object;           // after the change; for a deletion, the last state at the deletion's rv
  json prev;             // before the change; null for an addition
};

std::string object_key(const std::string& ns, const std::string& name);

class object_store {
 public:
  using objects_map = std::map<std::string, json>;  // ordered by key, as etcd lists them

  explicit object_store(size_t history_limit);

  uint64_t current_rv() const { return rv_; }
  // Every event with a resourceVersion above this is still in the history.
  uint64_t history_floor() const { return floor_; }

  const json* get(const std::string& resource, const std::string& key) const;
  const objects_map& objects(const std::string& resource) const;
  std::vector<std::string> resources() const;

  // Writes stamp metadata.resourceVersion with a new revision and record the change.
  const json& create(const std::string& resource, const std::string& key, json object);
  const json& update(const std::string& resource, const std::string& key, json object);
  json remove(const std::string& resource, const std::string& key);

  // The objects of `resource` as they were at `rv`; nullopt when the history no longer reaches.
  std::optional<objects_map> state_at(const std::string& resource, uint64_t rv) const;
  // Changes after `rv` in order; nullopt when the history no longer reaches back to `rv`.
  std::optional<std::vector<const store_event*>> events_after(uint64_t rv) const;

  // Forgets the history, so that any older resourceVersion is "too old".
  void compact();
  // Called after every write, with the lock still held.
  void set_listener(std::function<void(const store_event&)> listener);

 private:
  void record(store_event event);

  size_t history_limit_;
  uint64_t rv_ = 0;
  uint64_t floor_ = 0;
  std::map<std::string, objects_map> data_;
  std::deque<store_event> history_;
  std::function<void(const store_event&)> listener_;
};

}  // namespace tern::kube_double
