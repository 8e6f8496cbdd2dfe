// Resource registry: built-in kinds at start, custom resources as CRDs come and go, and the
// discovery documents clients read to learn what the server serves.
#include "operator/testing/kube_api_double_resources.h"

#include <algorithm>
#include <set>

#include "operator/testing/kube_api_double_builtins.h"

namespace tern::kube_double {

namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

json resource_entry(const resource_type& t) {
  json r = {{"name", t.plural},
            {"singularName", t.singular},
            {"namespaced", t.namespaced},
            {"kind", t.kind},
            {"verbs", kAllVerbs}};
  if (!t.short_names.empty()) r["shortNames"] = t.short_names;
  if (!t.categories.empty()) r["categories"] = t.categories;
  return r;
}

std::string str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool resource_type::serves(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

const structural_schema* resource_type::schema_for(const std::string& version) const {
  auto it = schemas.find(version);
  return it == schemas.end() ? nullptr : it->second.get();
}

resource_registry::resource_registry() {
  for (auto& t : builtin_resource_types()) {
    auto ptr = std::make_shared<const resource_type>(std::move(t));
    by_id_[ptr->id()] = ptr;
  }
}

resource_ptr resource_registry::find(const std::string& group, const std::string& version,
                                     const std::string& plural) const {
  auto it = by_id_.find(group.empty() ? plural : plural + "." + group);
  if (it == by_id_.end() || !it->second->serves(version)) return nullptr;
  return it->second;
}

resource_ptr resource_registry::find_id(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

resource_ptr resource_registry::find_kind(const std::string& api_version,
                                          const std::string& kind) const {
  std::string group, version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  for (const auto& [id, t] : by_id_)
    if (t->group == group && t->kind == kind && t->serves(version)) return t;
  return nullptr;
}

std::vector<resource_ptr> resource_registry::all() const {
  std::vector<resource_ptr> out;
  for (const auto& [id, t] : by_id_) out.push_back(t);
  return out;
}

void resource_registry::put(resource_ptr type) {
  by_id_[type->id()] = std::move(type);
}

void resource_registry::remove(const std::string& id) {
  by_id_.erase(id);
}

std::expected<resource_type, std::vector<field_error>> resource_registry::from_crd(
    const json& crd) {
  std::vector<field_error> errs;
  const json* spec = find_path(crd, "spec");
  if (!spec || !spec->is_object()) return std::unexpected(std::vector{required("spec")});
  resource_type t;
  t.custom = true;
  t.crd_name = meta_string(crd, "name");
  t.group = str(*spec, "group");
  if (t.group.empty())
    errs.push_back(required("spec.group"));
  else if (t.group.find('.') == std::string::npos)
    errs.push_back(invalid("spec.group", t.group, "should be a domain with at least one dot"));
  const json* names = find_path(*spec, "names");
  t.plural = names ? str(*names, "plural") : "";
  t.kind = names ? str(*names, "kind") : "";
  t.singular = names ? str(*names, "singular") : "";
  t.list_kind = names ? str(*names, "listKind") : "";
  if (t.plural.empty()) errs.push_back(required("spec.names.plural"));
  if (t.kind.empty()) errs.push_back(required("spec.names.kind"));
  if (t.singular.empty())
    for (char c : t.kind)
      t.singular += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.list_kind.empty()) t.list_kind = t.kind + "List";
  if (names) {
    if (const json* sn = find_path(*names, "shortNames"); sn && sn->is_array())
      for (const auto& s : *sn) t.short_names.push_back(s.get<std::string>());
    if (const json* cat = find_path(*names, "categories"); cat && cat->is_array())
      for (const auto& c : *cat) t.categories.push_back(c.get<std::string>());
  }
  if (!t.plural.empty() && !t.group.empty() && t.crd_name != t.plural + "." + t.group)
    errs.push_back(
        invalid("metadata.name", t.crd_name, "must be spec.names.plural+\".\"+spec.group"));
  const std::string scope = str(*spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster")
    errs.push_back(not_supported("spec.scope", scope, {"Cluster", "Namespaced"}));
  t.namespaced = scope != "Cluster";

  const json* versions = find_path(*spec, "versions");
  if (!versions || !versions->is_array() || versions->empty()) {
    errs.push_back(
        required("spec.versions", "must have exactly one version marked as storage version"));
    return std::unexpected(errs);
  }
  int storage = 0;
  for (size_t i = 0; i < versions->size(); ++i) {
    const json& v = (*versions)[i];
    const std::string path = "spec.versions[" + std::to_string(i) + "]";
    const std::string name = str(v, "name");
    if (name.empty()) errs.push_back(required(path + ".name"));
    if (v.value("storage", false)) {
      ++storage;
      t.storage_version = name;
    }
    if (v.value("served", false)) t.versions.push_back(name);
    const json* schema = find_path(v, "schema.openAPIV3Schema");
    if (!schema || !schema->is_object()) {
      errs.push_back(required(path + ".schema.openAPIV3Schema", "schemas are required"));
    } else {
      t.schemas[name] = std::make_shared<const structural_schema>(*schema);
    }
    if (const json* sub = find_path(v, "subresources"); sub && sub->is_object()) {
      if (sub->contains("status")) t.status_subresource = true;
      if (const json* scale = find_path(*sub, "scale"); scale && scale->is_object()) {
        scale_paths p;
        p.spec_replicas = str(*scale, "specReplicasPath");
        p.status_replicas = str(*scale, "statusReplicasPath");
        p.label_selector = str(*scale, "labelSelectorPath");
        if (p.spec_replicas.empty())
          errs.push_back(required(path + ".subresources.scale.specReplicasPath"));
        if (p.status_replicas.empty())
          errs.push_back(required(path + ".subresources.scale.statusReplicasPath"));
        t.scale = p;
      }
    }
  }
  if (storage != 1)
    errs.push_back(invalid("spec.versions", *versions,
                           "must have exactly one version marked as storage version"));
  // Sort served versions by Kubernetes version priority would be more exact; the CRD's order
  // with the storage version first is what clients see in practice.
  std::stable_partition(t.versions.begin(), t.versions.end(),
                        [&](const std::string& v) { return v == t.storage_version; });
  if (!errs.empty()) return std::unexpected(errs);
  t.generation = generation_policy::all_but_metadata_and_status;
  t.allow_unconditional_update = false;
  t.return_deleted_object = true;
  return t;
}

json resource_registry::core_versions(const std::string& server_address) const {
  return {{"kind", "APIVersions"},
          {"versions", json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

json resource_registry::group_list() const {
  std::map<std::string, std::vector<std::string>> groups;
  std::map<std::string, std::string> preferred;
  for (const auto& [id, t] : by_id_) {
    if (t->group.empty()) continue;
    auto& vs = groups[t->group];
    for (const auto& v : t->versions)
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
    if (!preferred.count(t->group) && !t->versions.empty())
      preferred[t->group] = t->versions.front();
  }
  json list = json::array();
  for (const auto& [g, vs] : groups) {
    json versions = json::array();
    for (const auto& v : vs) versions.push_back({{"groupVersion", g + "/" + v}, {"version", v}});
    list.push_back({{"name", g},
                    {"versions", versions},
                    {"preferredVersion",
                     {{"groupVersion", g + "/" + preferred[g]}, {"version", preferred[g]}}}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}};
}

std::optional<json> resource_registry::group(const std::string& name) const {
  json groups = group_list()["groups"];
  for (auto& g : groups)
    if (g["name"] == name) {
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return g;
    }
  return std::nullopt;
}

std::optional<json> resource_registry::resource_list(const std::string& group,
                                                     const std::string& version) const {
  json resources = json::array();
  bool any = false;
  for (const auto& [id, t] : by_id_) {
    if (t->group != group || !t->serves(version)) continue;
    any = true;
    resources.push_back(resource_entry(*t));
    if (t->status_subresource)
      resources.push_back({{"name", t->plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"kind", t->kind},
                           {"verbs", json::array({"get", "patch", "update"})}});
    if (t->scale)
      resources.push_back({{"name", t->plural + "/scale"},
                           {"singularName", ""},
                           {"namespaced", t->namespaced},
                           {"group", "autoscaling"},
                           {"version", "v1"},
                           {"kind", "Scale"},
                           {"verbs", json::array({"get", "patch", "update"})}});
  }
  if (!any) return std::nullopt;
  return json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", resources}};
}

}  // namespace tern::kube_double
