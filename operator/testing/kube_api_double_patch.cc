// Patch application. JSON patch and merge patch come from nlohmann::json; the strategic merge
// patch knows the merge keys of the fields built-in kinds declare them on (containers by name,
// ports, env, volumes, conditions by type, ownerReferences by uid, finalizers as a set) and the
// `$patch`, `$deleteFromPrimitiveList/` and `$setElementOrder/` directives.
#include "operator/testing/kube_api_double_patch.h"

#include <algorithm>
#include <map>

namespace tern::kube_double {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Merge keys of list fields in built-in kinds, by field name. Service ports are keyed by `port`,
// container ports by `containerPort`; the parent decides which.
std::string merge_key_for(const std::string& field, const std::string& parent) {
  static const std::map<std::string, std::string> kKeys = {
      {"containers", "name"},
      {"initContainers", "name"},
      {"ephemeralContainers", "name"},
      {"env", "name"},
      {"volumes", "name"},
      {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"},
      {"imagePullSecrets", "name"},
      {"conditions", "type"},
      {"ownerReferences", "uid"},
      {"hostAliases", "ip"},
      {"topologySpreadConstraints", "topologyKey"},
      {"resourceClaims", "name"}};
  if (field == "ports") return parent == "spec" ? "port" : "containerPort";
  auto it = kKeys.find(field);
  return it == kKeys.end() ? std::string() : it->second;
}

bool is_set_list(const std::string& field) {
  return field == "finalizers";
}

json strategic_merge(const json& original, const json& patch, const std::string& parent);

json merge_list(const json& original, const json& patch, const std::string& field,
                const std::string& parent) {
  const std::string key = merge_key_for(field, parent);
  if (is_set_list(field)) {
    json out = original.is_array() ? original : json::array();
    for (const auto& v : patch)
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    return out;
  }
  if (key.empty() || !original.is_array()) {
    // Lists without a merge key are replaced, minus directive entries.
    json out = json::array();
    for (const auto& v : patch)
      if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
    return out;
  }
  // A `$patch: replace` element replaces the whole list.
  for (const auto& v : patch)
    if (v.is_object() && v.value("$patch", "") == "replace") {
      json out = json::array();
      for (const auto& w : patch)
        if (!(w.is_object() && w.contains("$patch"))) out.push_back(w);
      return out;
    }
  json out = original;
  for (const auto& v : patch) {
    if (!v.is_object() || !v.contains(key)) {
      out.push_back(v);
      continue;
    }
    auto match = std::find_if(out.begin(), out.end(), [&](const json& e) {
      return e.is_object() && e.contains(key) && e[key] == v[key];
    });
    const std::string directive = v.value("$patch", "");
    if (directive == "delete") {
      if (match != out.end()) out.erase(match);
      continue;
    }
    if (match == out.end()) {
      json add = v;
      add.erase("$patch");
      out.push_back(add);
    } else {
      *match = strategic_merge(*match, v, field);
    }
  }
  return out;
}

json strategic_merge(const json& original, const json& patch, const std::string& parent) {
  if (!patch.is_object()) return patch;
  if (patch.value("$patch", "") == "replace") {
    json out = patch;
    out.erase("$patch");
    return out;
  }
  if (patch.value("$patch", "") == "delete") return json();
  json out = original.is_object() ? original : json::object();
  for (const auto& [k, v] : patch.items()) {
    if (k == "$patch" || k == "$retainKeys") continue;
    if (k.rfind("$setElementOrder/", 0) == 0) continue;
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      const std::string field = k.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array() && v.is_array()) {
        json kept = json::array();
        for (const auto& e : out[field])
          if (std::find(v.begin(), v.end(), e) == v.end()) kept.push_back(e);
        out[field] = kept;
      }
      continue;
    }
    if (v.is_null()) {
      out.erase(k);
    } else if (v.is_object()) {
      json merged = strategic_merge(out.contains(k) ? out[k] : json(), v, k);
      if (merged.is_null())
        out.erase(k);
      else
        out[k] = merged;
    } else if (v.is_array()) {
      out[k] = merge_list(out.contains(k) ? out[k] : json(), v, k, parent);
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace

std::optional<patch_type> parse_patch_type(std::string_view content_type) {
  std::string ct = lower(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == "application/json-patch+json") return patch_type::json_patch;
  if (ct == "application/merge-patch+json") return patch_type::merge_patch;
  if (ct == "application/strategic-merge-patch+json") return patch_type::strategic_merge_patch;
  if (ct == "application/apply-patch+yaml") return patch_type::apply_patch;
  return std::nullopt;
}

result<json> apply_patch(const json& original, patch_type type, const std::string& body) {
  json patch;
  try {
    patch = json::parse(body);
  } catch (const json::exception& e) {
    return std::unexpected(bad_request(std::string("error decoding patch: ") + e.what()));
  }
  switch (type) {
    case patch_type::json_patch: {
      if (!patch.is_array())
        return std::unexpected(
            bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
      try {
        return original.patch(patch);
      } catch (const json::exception& e) {
        return std::unexpected(invalid_generic(e.what()));
      }
    }
    case patch_type::merge_patch: {
      if (!patch.is_object())
        return std::unexpected(bad_request("json: cannot unmarshal " +
                                           std::string(patch.type_name()) +
                                           " into Go value of type map[string]interface {}"));
      json out = original;
      out.merge_patch(patch);
      return out;
    }
    case patch_type::strategic_merge_patch: {
      if (!patch.is_object())
        return std::unexpected(bad_request("unable to parse strategic merge patch"));
      return strategic_merge(original, patch, "");
    }
    case patch_type::apply_patch:
      break;
  }
  return std::unexpected(unsupported_media_type(
      "application/apply-patch+yaml", "application/json-patch+json, application/merge-patch+json"));
}

}  // namespace tern::kube_double
