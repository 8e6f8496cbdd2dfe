// Making an object the operator owns match what the builders say should exist: create it when
// missing, and when someone else changed a field the operator sets, put it back — leaving alone
// what the API server and other controllers add (defaults, clusterIP, node ports, status).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "operator/k8s/client.h"
#include "operator/k8s/resource.h"

namespace tern::op::controllers {

enum class sync_action { unchanged, created, updated };

// Whether every field of `desired` is in `live` with the same value (objects recursively,
// arrays element by element with the same length). Fields only `live` has are ignored.
bool contains_desired(const nlohmann::json& live, const nlohmann::json& desired);

// `live` with the fields the operator sets taken from `desired`, for a PUT: labels and
// annotations merged, ownerReferences replaced, and per kind the mutable parts of the spec
// (a StatefulSet's replicas, template and updateStrategy; a Service's spec except clusterIP
// and allocated node ports; data of a ConfigMap; the spec of anything else).
nlohmann::json with_desired_fields(const nlohmann::json& live, const nlohmann::json& desired);

// `live`: the object as last seen (cache), nullopt when it does not exist. A conflict or an
// AlreadyExists error means the cache was stale: the caller reconciles again.
k8s::result<sync_action> sync_object(k8s::client& api, const k8s::resource& r,
                                     const nlohmann::json& desired,
                                     const std::optional<nlohmann::json>& live);

// Whether a StatefulSet field that Kubernetes refuses to change (selector, serviceName,
// volumeClaimTemplates, podManagementPolicy) differs; such drift needs the StatefulSet
// re-created, which the operator does not do on its own.
std::optional<std::string> immutable_stateful_set_drift(const nlohmann::json& live,
                                                        const nlohmann::json& desired);

}  // namespace tern::op::controllers
