// The built-in kinds the double serves, with the defaults, allocations and validation the real
// API server applies to them (the ones an operator meets when it compares desired and actual
// objects, or changes an immutable field).
#pragma once

#include <vector>

#include "operator/testing/kube_api_double_resources.h"

namespace tern::kube_double {

std::vector<resource_type> builtin_resource_types();

// The kind rules for CustomResourceDefinition objects themselves.
const kind_strategy& crd_strategy();

}  // namespace tern::kube_double
