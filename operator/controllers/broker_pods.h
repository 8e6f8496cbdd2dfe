// The broker pods of a Cluster as the cache holds them: ordinal, readiness and the config hash
// their template had when they were created.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "operator/k8s/informer.h"

namespace tern::op::controllers {

struct broker_pod {
  int32_t ordinal = -1;
  std::string name;
  bool ready = false;
  bool terminating = false;
  std::string config_hash;  // model::kConfigHashAnnotation of the template it was made from
  std::string node_name;    // empty until scheduled
};

// Pods named <stateful set>-<ordinal> in `ns`, ordered by ordinal.
std::vector<broker_pod> broker_pods(const k8s::informer& pods, const std::string& ns,
                                    const std::string& stateful_set);

bool pod_ready(const nlohmann::json& pod);

}  // namespace tern::op::controllers
