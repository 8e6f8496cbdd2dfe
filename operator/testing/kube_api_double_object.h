// Small helpers over Kubernetes objects held as JSON: metadata access, dotted paths, names and
// labels as the API server validates them, timestamps and uids, YAML documents as JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/testing/kube_api_double_status.h"

namespace tern::kube_double {

// The metadata object, created if missing or not an object.
json& meta_of(json& object);
std::string meta_string(const json& object, const char* field);

// `path` as in a CRD's scale subresource: ".spec.replicas" (the leading dot is optional).
const json* find_path(const json& object, std::string_view path);
void set_path(json& object, std::string_view path, json value);

std::string now_rfc3339();
std::string new_uid();
// Five characters from the alphabet the real server uses for generateName suffixes.
std::string random_name_suffix();

// Name and label rules from k8s.io/apimachinery/pkg/util/validation. Each returns the problems
// in the server's words; empty means valid.
std::vector<std::string> dns1123_subdomain_problems(const std::string& value);
std::vector<std::string> dns1123_label_problems(const std::string& value);
std::vector<std::string> dns1035_label_problems(const std::string& value);
std::vector<std::string> qualified_name_problems(const std::string& value);
std::vector<std::string> label_value_problems(const std::string& value);

enum class name_rule { dns1123_subdomain, dns1123_label, dns1035_label };

// ObjectMeta checks common to every kind: name or generateName, labels, annotations, finalizers,
// ownerReferences.
std::vector<field_error> validate_object_meta(const json& object, name_rule rule, bool namespaced);
// ObjectMeta checks on update: no new finalizers while the object is being deleted.
std::vector<field_error> validate_object_meta_update(const json& updated, const json& old);

bool is_valid_base64(const std::string& value);
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);  // skips invalid characters

// Converts YAML to JSON with the YAML 1.2 core schema: plain scalars that read as null, booleans
// or numbers become those; quoted scalars and everything else are strings.
// Throws std::runtime_error on malformed YAML.
std::vector<json> parse_yaml_documents(const std::string& text);

}  // namespace tern::kube_double
