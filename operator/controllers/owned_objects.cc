// Create-or-repair of owned objects.
#include "operator/controllers/owned_objects.h"

namespace tern::op::controllers {

using nlohmann::json;

bool contains_desired(const json& live, const json& desired) {
  if (desired.is_object()) {
    if (!live.is_object()) return false;
    for (const auto& [k, v] : desired.items()) {
      auto it = live.find(k);
      if (it == live.end()) {
        // An empty map or list the server drops is not a difference.
        if ((v.is_object() || v.is_array()) && v.empty()) continue;
        return false;
      }
      if (!contains_desired(*it, v)) return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!live.is_array() || live.size() != desired.size()) return false;
    for (size_t i = 0; i < desired.size(); ++i)
      if (!contains_desired(live[i], desired[i])) return false;
    return true;
  }
  if (desired.is_number() && live.is_number()) return desired.get<double>() == live.get<double>();
  return live == desired;
}

namespace {

void merge_map(json& into, const json& from) {
  if (!from.is_object()) return;
  if (!into.is_object()) into = json::object();
  for (const auto& [k, v] : from.items()) into[k] = v;
}

// Node ports the server allocated stay; a Service update without them would get new ones.
void keep_node_ports(const json& live_spec, json& spec) {
  if (!live_spec.contains("ports") || !spec.contains("ports")) return;
  for (auto& port : spec["ports"]) {
    if (port.contains("nodePort")) continue;
    for (const auto& old : live_spec["ports"])
      if (old.value("name", "") == port.value("name", "") && old.contains("nodePort"))
        port["nodePort"] = old["nodePort"];
  }
}

}  // namespace

json with_desired_fields(const json& live, const json& desired) {
  json out = live;
  auto& meta = out["metadata"];
  const auto& want = desired.at("metadata");
  if (want.contains("labels")) merge_map(meta["labels"], want["labels"]);
  if (want.contains("annotations")) merge_map(meta["annotations"], want["annotations"]);
  if (want.contains("ownerReferences")) meta["ownerReferences"] = want["ownerReferences"];
  const std::string kind = desired.value("kind", "");
  if (kind == "StatefulSet") {
    for (const char* field : {"replicas", "template", "updateStrategy"})
      if (desired["spec"].contains(field)) out["spec"][field] = desired["spec"][field];
  } else if (kind == "Service") {
    json spec = desired["spec"];
    for (const char* kept : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"})
      if (live["spec"].contains(kept) && !spec.contains(kept)) spec[kept] = live["spec"][kept];
    keep_node_ports(live["spec"], spec);
    for (const auto& [k, v] : spec.items()) out["spec"][k] = v;
  } else {
    for (const auto& [k, v] : desired.items())
      if (k != "metadata" && k != "apiVersion" && k != "kind" && k != "status") out[k] = v;
  }
  return out;
}

k8s::result<sync_action> sync_object(k8s::client& api, const k8s::resource& r, const json& desired,
                                     const std::optional<json>& live) {
  const auto& meta = desired.at("metadata");
  const std::string ns = meta.value("namespace", "");
  const std::string name = meta.value("name", "");
  if (!live) {
    auto created = api.create(r, ns, desired);
    if (!created) return std::unexpected(created.error());
    return sync_action::created;
  }
  const json merged = with_desired_fields(*live, desired);
  if (contains_desired(*live, merged)) return sync_action::unchanged;
  auto updated = api.update(r, ns, name, merged);
  if (!updated) return std::unexpected(updated.error());
  return sync_action::updated;
}

std::optional<std::string> immutable_stateful_set_drift(const json& live, const json& desired) {
  for (const char* field :
       {"selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"}) {
    if (!desired["spec"].contains(field)) continue;
    if (!live["spec"].contains(field) ||
        !contains_desired(live["spec"][field], desired["spec"][field]))
      return std::string("spec.") + field;
  }
  return std::nullopt;
}

}  // namespace tern::op::controllers
