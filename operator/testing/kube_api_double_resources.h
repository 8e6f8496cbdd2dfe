// The resource types the double serves: built-in kinds and the custom resources of created CRDs,
// with the per-kind rules the API server applies (status and scale subresources, generation,
// unconditional updates) and the discovery documents that list them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/testing/kube_api_double_object.h"
#include "operator/testing/kube_api_double_schema.h"
#include "operator/testing/kube_api_double_status.h"

namespace tern::kube_double {

enum class generation_policy {
  none,                         // ConfigMap, Secret, Service, Pod, ...: no metadata.generation
  spec_only,                    // StatefulSet, PodDisruptionBudget, CRD: bumps when .spec changes
  all_but_metadata_and_status,  // custom resources: any change outside metadata (and status
                                // when the status subresource exists)
};

struct scale_paths {
  std::string spec_replicas;        // ".spec.replicas"
  std::string status_replicas;      // ".status.replicas"
  std::string label_selector;       // ".status.selector" (a string), may be empty
  bool selector_from_spec = false;  // StatefulSet: render .spec.selector as a string
};

// Per-kind hooks of built-in kinds; any may be null.
struct kind_strategy {
  void (*prepare_for_create)(json& object) = nullptr;  // allocation (clusterIP, ...)
  void (*apply_defaults)(json& object) = nullptr;      // runs on every write
  // Runs on updates of the main resource before defaults (carry-over of allocated values).
  void (*prepare_for_update)(json& updated, const json& old) = nullptr;
  std::vector<field_error> (*validate)(const json& object) = nullptr;
  std::vector<field_error> (*validate_update)(const json& updated, const json& old) = nullptr;
  // Status written on create instead of the client's (kinds with a status subresource).
  const char* initial_status = nullptr;  // JSON text
};

struct resource_type {
  std::string group;  // "" for the core group
  std::string plural, singular, kind, list_kind;
  std::vector<std::string> versions;  // served versions, preferred first
  std::string storage_version;
  bool namespaced = true;
  bool custom = false;
  bool status_subresource = false;
  std::optional<scale_paths> scale;
  generation_policy generation = generation_policy::none;
  bool allow_create_on_update = false;
  bool allow_unconditional_update = true;
  bool return_deleted_object = false;
  name_rule names = name_rule::dns1123_subdomain;
  std::vector<std::string> short_names, categories;
  std::vector<std::string> field_labels;  // selectable besides metadata.name/metadata.namespace
  std::map<std::string, std::shared_ptr<const structural_schema>> schemas;  // by version
  const kind_strategy* strategy = nullptr;
  std::string crd_name;      // custom resources: the CRD that defines them
  bool terminating = false;  // the CRD is being deleted: no new objects

  // The storage key and the name the server prints: "configmaps", "widgets.test.tern.dev".
  std::string id() const { return group.empty() ? plural : plural + "." + group; }
  std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
  std::string api_version(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
  bool serves(const std::string& version) const;
  const structural_schema* schema_for(const std::string& version) const;
};

using resource_ptr = std::shared_ptr<const resource_type>;

class resource_registry {
 public:
  resource_registry();

  resource_ptr find(const std::string& group, const std::string& version,
                    const std::string& plural) const;
  resource_ptr find_id(const std::string& id) const;
  // For ownerReferences: apiVersion "apps/v1" and kind "StatefulSet".
  resource_ptr find_kind(const std::string& api_version, const std::string& kind) const;
  std::vector<resource_ptr> all() const;

  // Turns a CRD into the resource type it defines; field errors for a CRD the server rejects.
  static std::expected<resource_type, std::vector<field_error>> from_crd(const json& crd);
  void put(resource_ptr type);
  void remove(const std::string& id);

  // Discovery: /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}.
  json core_versions(const std::string& server_address) const;
  json group_list() const;
  std::optional<json> group(const std::string& name) const;
  std::optional<json> resource_list(const std::string& group, const std::string& version) const;

 private:
  std::map<std::string, resource_ptr> by_id_;
};

}  // namespace tern::kube_double
