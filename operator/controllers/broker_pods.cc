// Reading broker pods from the cache.
#include "operator/controllers/broker_pods.h"

#include <algorithm>
#include <charconv>

#include "operator/model/names.h"

namespace tern::op::controllers {

bool pod_ready(const nlohmann::json& pod) {
  const auto status = pod.value("status", nlohmann::json::object());
  for (const auto& c : status.value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

std::vector<broker_pod> broker_pods(const k8s::informer& pods, const std::string& ns,
                                    const std::string& stateful_set) {
  std::vector<broker_pod> out;
  const std::string prefix = stateful_set + "-";
  for (const auto& pod : pods.list(ns)) {
    const auto& meta = pod.at("metadata");
    const std::string name = meta.value("name", "");
    if (!name.starts_with(prefix)) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    int32_t ordinal = -1;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ordinal);
    if (ec != std::errc() || end != rest.data() + rest.size() || ordinal < 0) continue;
    // Only pods of this StatefulSet: "<cluster>-etcd-0" has no numeric suffix after the
    // prefix, but a pod of another StatefulSet named like "<cluster>-1" is not ours either.
    bool owned = false;
    for (const auto& ref : meta.value("ownerReferences", nlohmann::json::array()))
      owned |= ref.value("kind", "") == "StatefulSet" && ref.value("name", "") == stateful_set;
    if (!owned) continue;
    broker_pod p;
    p.ordinal = ordinal;
    p.name = name;
    p.ready = pod_ready(pod);
    p.terminating = meta.contains("deletionTimestamp");
    p.config_hash = meta.value("annotations", nlohmann::json::object())
                        .value(std::string(model::kConfigHashAnnotation), "");
    p.node_name = pod.value("spec", nlohmann::json::object()).value("nodeName", "");
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const broker_pod& a, const broker_pod& b) { return a.ordinal < b.ordinal; });
  return out;
}

}  // namespace tern::op::controllers
