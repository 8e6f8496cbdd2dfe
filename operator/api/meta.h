// What every tern resource shares: the object metadata the operator reads, and status
// conditions (Ready, Progressing, Degraded) with Kubernetes' transition-time semantics.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::op::api {

inline constexpr std::string_view kGroup = "tern.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "tern.dev/v1alpha1";

struct object_meta {
  std::string name, ns, uid, resource_version;
  int64_t generation = 0;
  std::map<std::string, std::string> labels, annotations;
  std::vector<std::string> finalizers;
  std::optional<std::string> deletion_timestamp;
  std::string creation_timestamp;

  bool being_deleted() const { return deletion_timestamp.has_value(); }
  bool has_finalizer(std::string_view f) const;
};

// `object` is a whole Kubernetes object; its "metadata" is read. Missing fields stay empty;
// a wrongly typed one is an error naming its path ("metadata.labels[x]: expected a string").
std::expected<object_meta, std::string> parse_object_meta(const nlohmann::json& object);
// The metadata object; empty fields are left out.
nlohmann::json object_meta_to_json(const object_meta& meta);

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";
inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionProgressing = "Progressing";
inline constexpr std::string_view kConditionDegraded = "Degraded";

// The CRDs require type, status, reason (a CamelCase word), message and lastTransitionTime.
struct condition {
  std::string type, status /*"True"|"False"|"Unknown"*/, reason, message, last_transition_time;
  int64_t observed_generation = 0;

  bool operator==(const condition&) const = default;
};

// Sets `c` in `conditions` by type. lastTransitionTime becomes `now` (RFC 3339) when the
// condition is new or its status changed, and is kept otherwise, whatever `c` carries (an
// explicit c.last_transition_time is used instead of `now` for a transition). Returns whether
// anything changed, so that a caller writes status only when it has to.
bool set_condition(std::vector<condition>& conditions, condition c, std::string_view now);
const condition* find_condition(const std::vector<condition>& conditions, std::string_view type);
// Whether the condition of `type` exists with status "True".
bool is_condition_true(const std::vector<condition>& conditions, std::string_view type);

nlohmann::json condition_to_json(const condition& c);
// `path` names `c` in error messages, e.g. "status.conditions[0]".
std::expected<condition, std::string> condition_from_json(const nlohmann::json& c,
                                                          const std::string& path);
nlohmann::json conditions_to_json(const std::vector<condition>& conditions);
std::expected<std::vector<condition>, std::string> conditions_from_json(const nlohmann::json& array,
                                                                        const std::string& path);

}  // namespace tern::op::api
