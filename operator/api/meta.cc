// Object metadata and status conditions shared by the Cluster and Topic types.
#include "operator/api/meta.h"

#include <algorithm>

#include "operator/api/field_reader.h"

namespace tern::op::api {

using json = nlohmann::json;

bool object_meta::has_finalizer(std::string_view f) const {
  return std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end();
}

std::expected<object_meta, std::string> parse_object_meta(const json& object) {
  detail::field_reader r;
  object_meta m;
  if (!object.is_object()) return std::unexpected("expected an object");
  const json* md = r.object(object, "metadata", "metadata");
  if (md != nullptr) {
    r.string(*md, "name", "metadata.name", m.name);
    r.string(*md, "namespace", "metadata.namespace", m.ns);
    r.string(*md, "uid", "metadata.uid", m.uid);
    r.string(*md, "resourceVersion", "metadata.resourceVersion", m.resource_version);
    r.integer(*md, "generation", "metadata.generation", m.generation);
    r.string_map(*md, "labels", "metadata.labels", m.labels);
    r.string_map(*md, "annotations", "metadata.annotations", m.annotations);
    r.string_list(*md, "finalizers", "metadata.finalizers", m.finalizers);
    r.optional_string(*md, "deletionTimestamp", "metadata.deletionTimestamp", m.deletion_timestamp);
    r.string(*md, "creationTimestamp", "metadata.creationTimestamp", m.creation_timestamp);
  }
  if (!r.ok()) return std::unexpected(r.message());
  return m;
}

json object_meta_to_json(const object_meta& m) {
  json out = json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) out[key] = v;
  };
  put("name", m.name);
  put("namespace", m.ns);
  put("uid", m.uid);
  put("resourceVersion", m.resource_version);
  if (m.generation != 0) out["generation"] = m.generation;
  if (!m.labels.empty()) out["labels"] = m.labels;
  if (!m.annotations.empty()) out["annotations"] = m.annotations;
  if (!m.finalizers.empty()) out["finalizers"] = m.finalizers;
  if (m.deletion_timestamp) out["deletionTimestamp"] = *m.deletion_timestamp;
  put("creationTimestamp", m.creation_timestamp);
  return out;
}

bool set_condition(std::vector<condition>& conditions, condition c, std::string_view now) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const condition& x) { return x.type == c.type; });
  if (it == conditions.end()) {
    if (c.last_transition_time.empty()) c.last_transition_time = std::string(now);
    conditions.push_back(std::move(c));
    return true;
  }
  if (it->status != c.status) {
    if (c.last_transition_time.empty()) c.last_transition_time = std::string(now);
  } else {
    c.last_transition_time = it->last_transition_time;
  }
  if (*it == c) return false;
  *it = std::move(c);
  return true;
}

const condition* find_condition(const std::vector<condition>& conditions, std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool is_condition_true(const std::vector<condition>& conditions, std::string_view type) {
  const condition* c = find_condition(conditions, type);
  return c != nullptr && c->status == kConditionTrue;
}

json condition_to_json(const condition& c) {
  json out = {{"type", c.type},
              {"status", c.status},
              {"reason", c.reason},
              {"message", c.message},
              {"lastTransitionTime", c.last_transition_time}};
  if (c.observed_generation != 0) out["observedGeneration"] = c.observed_generation;
  return out;
}

std::expected<condition, std::string> condition_from_json(const json& j, const std::string& path) {
  if (!j.is_object()) return std::unexpected(path + ": expected an object");
  detail::field_reader r;
  condition c;
  r.string(j, "type", detail::join_path(path, "type"), c.type);
  r.string(j, "status", detail::join_path(path, "status"), c.status);
  r.string(j, "reason", detail::join_path(path, "reason"), c.reason);
  r.string(j, "message", detail::join_path(path, "message"), c.message);
  r.string(j, "lastTransitionTime", detail::join_path(path, "lastTransitionTime"),
           c.last_transition_time);
  r.integer(j, "observedGeneration", detail::join_path(path, "observedGeneration"),
            c.observed_generation);
  if (c.type.empty()) r.fail(detail::join_path(path, "type"), "Required value");
  if (!r.ok()) return std::unexpected(r.message());
  return c;
}

json conditions_to_json(const std::vector<condition>& conditions) {
  json out = json::array();
  for (const auto& c : conditions) out.push_back(condition_to_json(c));
  return out;
}

std::expected<std::vector<condition>, std::string> conditions_from_json(const json& array,
                                                                        const std::string& path) {
  if (array.is_null()) return std::vector<condition>{};
  if (!array.is_array()) return std::unexpected(path + ": expected an array");
  std::vector<condition> out;
  for (size_t i = 0; i < array.size(); ++i) {
    auto c = condition_from_json(array[i], path + "[" + std::to_string(i) + "]");
    if (!c) return std::unexpected(c.error());
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace tern::op::api
