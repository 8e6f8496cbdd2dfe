// Kubernetes Events about tern resources ("why did the operator restart broker 2?"), as
// core/v1 Events that `kubectl describe` shows. Failures to record are logged, never fatal.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "operator/k8s/client.h"

namespace tern::op::controllers {

class event_recorder {
 public:
  explicit event_recorder(k8s::client& api, std::string component = "tern-operator");

  // `object`: the resource the event is about (its kind, name, namespace, uid are used).
  // `type`: "Normal" or "Warning"; `reason`: a CamelCase word.
  void record(const nlohmann::json& object, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  k8s::client& api_;
  std::string component_;
};

}  // namespace tern::op::controllers
