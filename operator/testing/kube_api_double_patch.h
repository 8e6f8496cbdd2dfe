// PATCH bodies by content type: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and the
// strategic merge patch the real server accepts for built-in kinds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/testing/kube_api_double_status.h"

namespace tern::kube_double {

enum class patch_type { json_patch, merge_patch, strategic_merge_patch, apply_patch };

// Ignores parameters such as "; charset=utf-8". nullopt for anything else.
std::optional<patch_type> parse_patch_type(std::string_view content_type);

// Applies `body` to `original`. Malformed patches are 400 BadRequest; a JSON patch whose
// operation cannot apply (missing path, failed test) is 422 as on the real server.
result<json> apply_patch(const json& original, patch_type type, const std::string& body);

}  // namespace tern::kube_double
