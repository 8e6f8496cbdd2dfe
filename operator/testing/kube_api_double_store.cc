// The object store and its revision history.
#include "operator/testing/kube_api_double_store.h"

#include <cassert>

namespace tern::kube_double {

namespace {

void stamp(json& object, uint64_t rv) {
  json& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  m["resourceVersion"] = std::to_string(rv);
}

const object_store::objects_map kNone;

}  // namespace

std::string object_key(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

object_store::object_store(size_t history_limit) : history_limit_(history_limit) {}

const json* object_store::get(const std::string& resource, const std::string& key) const {
  auto r = data_.find(resource);
  if (r == data_.end()) return nullptr;
  auto it = r->second.find(key);
  return it == r->second.end() ? nullptr : &it->second;
}

const object_store::objects_map& object_store::objects(const std::string& resource) const {
  auto r = data_.find(resource);
  return r == data_.end() ? kNone : r->second;
}

std::vector<std::string> object_store::resources() const {
  std::vector<std::string> out;
  for (const auto& [r, objects] : data_)
    if (!objects.empty()) out.push_back(r);
  return out;
}

const json& object_store::create(const std::string& resource, const std::string& key, json object) {
  assert(!get(resource, key));
  stamp(object, ++rv_);
  json& stored = data_[resource][key] = std::move(object);
  record({event_type::added, rv_, resource, key, stored, nullptr});
  return stored;
}

const json& object_store::update(const std::string& resource, const std::string& key, json object) {
  auto& objects = data_[resource];
  auto it = objects.find(key);
  assert(it != objects.end());
  json prev = std::move(it->second);
  stamp(object, ++rv_);
  it->second = std::move(object);
  record({event_type::modified, rv_, resource, key, it->second, std::move(prev)});
  return it->second;
}

json object_store::remove(const std::string& resource, const std::string& key) {
  auto& objects = data_[resource];
  auto it = objects.find(key);
  assert(it != objects.end());
  json prev = std::move(it->second);
  objects.erase(it);
  json last = prev;
  stamp(last, ++rv_);
  record({event_type::deleted, rv_, resource, key, last, std::move(prev)});
  return last;
}

std::optional<object_store::objects_map> object_store::state_at(const std::string& resource,
                                                                uint64_t rv) const {
  if (rv >= rv_) return objects(resource);
  if (rv < floor_) return std::nullopt;
  objects_map state = objects(resource);
  for (auto it = history_.rbegin(); it != history_.rend() && it->rv > rv; ++it) {
    if (it->resource != resource) continue;
    if (it->type == event_type::added)
      state.erase(it->key);
    else
      state[it->key] = it->prev;
  }
  return state;
}

std::optional<std::vector<const store_event*>> object_store::events_after(uint64_t rv) const {
  if (rv < floor_) return std::nullopt;
  std::vector<const store_event*> out;
  for (const auto& e : history_)
    if (e.rv > rv) out.push_back(&e);
  return out;
}

void object_store::compact() {
  history_.clear();
  floor_ = rv_;
}

void object_store::set_listener(std::function<void(const store_event&)> listener) {
  listener_ = std::move(listener);
}

void object_store::record(store_event event) {
  history_.push_back(std::move(event));
  if (listener_) listener_(history_.back());
  while (history_.size() > history_limit_) {
    floor_ = history_.front().rv;
    history_.pop_front();
  }
}

}  // namespace tern::kube_double
