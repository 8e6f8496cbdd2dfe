// A CRD's structural OpenAPI v3 schema applied as the apiextensions server applies it: null
// removal and defaulting, pruning of unknown fields, then validation with field paths.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/testing/kube_api_double_status.h"

namespace tern::kube_double {

class structural_schema {
 public:
  // `openapi_v3` is spec.versions[].schema.openAPIV3Schema of a CRD.
  explicit structural_schema(json openapi_v3);

  // Replaces non-nullable nulls by their defaults (or drops them), fills every missing property
  // that has a default (recursing into objects that exist or were just defaulted), then removes
  // fields the schema does not know unless x-kubernetes-preserve-unknown-fields says otherwise.
  // apiVersion, kind and metadata at the root are left to the caller.
  void default_and_prune(json& object) const;

  // type, enum, required, minimum/maximum (and exclusive), multipleOf, minLength/maxLength,
  // pattern (ECMAScript regex), minItems/maxItems, uniqueItems, x-kubernetes-list-type,
  // properties, additionalProperties, items, min/maxProperties, allOf/anyOf/oneOf/not.
  std::vector<field_error> validate(const json& object) const;

  const json& raw() const { return schema_; }

 private:
  json schema_;
};

}  // namespace tern::kube_double
