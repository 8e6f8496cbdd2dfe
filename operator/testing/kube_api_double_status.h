// Kubernetes API errors as the API server reports them: a `Status` object with a reason, an HTTP
// code and, for validation failures, the offending fields.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::kube_double {

using json = nlohmann::json;

// One validation failure, as in k8s.io/apimachinery/pkg/util/validation/field.
struct field_error {
  enum class kind {
    required,
    invalid,
    type_invalid,
    not_supported,
    forbidden,
    too_long,
    too_many,
    duplicate
  };
  kind type = kind::invalid;
  std::string field;   // "spec.replicas", "spec.listeners[0].name"
  json value;          // the bad value (unused for required/forbidden)
  std::string detail;  // free text after the value

  // "Invalid value: 0: spec.replicas in body should be greater than or equal to 1"
  std::string body() const;
  // The StatusCause reason: FieldValueInvalid, FieldValueRequired, ...
  std::string reason() const;
};

field_error required(std::string field, std::string detail = "");
field_error invalid(std::string field, json value, std::string detail);
field_error forbidden(std::string field, std::string detail);
field_error not_supported(std::string field, json value, const std::vector<std::string>& allowed);

struct api_error {
  int code = 500;
  std::string reason;  // empty for InternalError-like statuses without a reason
  std::string message;
  json details;  // null or the details object

  json to_status() const;
};

template <class T>
using result = std::expected<T, api_error>;

// `qualified_resource` is "configmaps" or "widgets.test.tern.dev" as the real server prints it.
api_error not_found(const std::string& qualified_resource, const std::string& group,
                    const std::string& plural, const std::string& name);
api_error already_exists(const std::string& qualified_resource, const std::string& group,
                         const std::string& plural, const std::string& name);
api_error conflict(const std::string& qualified_resource, const std::string& group,
                   const std::string& plural, const std::string& name, const std::string& why);
// `qualified_kind` is "ConfigMap" or "Widget.test.tern.dev".
api_error invalid_object(const std::string& qualified_kind, const std::string& group,
                         const std::string& kind, const std::string& name,
                         const std::vector<field_error>& causes);
api_error forbidden_error(const std::string& qualified_resource, const std::string& group,
                          const std::string& plural, const std::string& name,
                          const std::string& why);
api_error bad_request(std::string message);
api_error expired(std::string message);  // 410 Gone, reason Expired
api_error method_not_allowed();
// `accepted` lists the media types, as the server's message does.
api_error unsupported_media_type(const std::string& content_type, const std::string& accepted);
api_error internal_error(std::string message);
api_error path_not_found();                      // the URL names no resource at all
api_error invalid_generic(std::string message);  // 422 without an object (JSON patch failure)
// For injected failures: the reason the real server uses for this HTTP code.
api_error from_code(int code, std::string message);

// {"kind":"Status","status":"Success",...} as DELETE returns for most built-in kinds.
json success_status(const std::string& group, const std::string& plural, const std::string& name,
                    const std::string& uid);

// The value as Go's field errors print it: strings quoted, the rest as JSON.
std::string render_value(const json& value);

}  // namespace tern::kube_double
