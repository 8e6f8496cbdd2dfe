// Status objects and field errors worded as the Kubernetes API server words them.
#include "operator/testing/kube_api_double_status.h"

namespace tern::kube_double {

namespace {

json details_of(const std::string& group, const std::string& kind, const std::string& name) {
  json d = json::object();
  if (!name.empty()) d["name"] = name;
  if (!group.empty()) d["group"] = group;
  if (!kind.empty()) d["kind"] = kind;
  return d;
}

api_error make(int code, std::string reason, std::string message, json details = nullptr) {
  return api_error{code, std::move(reason), std::move(message), std::move(details)};
}

}  // namespace

std::string render_value(const json& value) {
  if (value.is_string()) return json(value.get<std::string>()).dump();
  if (value.is_null()) return "null";
  return value.dump();
}

std::string field_error::body() const {
  switch (type) {
    case kind::required:
      return detail.empty() ? "Required value" : "Required value: " + detail;
    case kind::forbidden:
      return detail.empty() ? "Forbidden" : "Forbidden: " + detail;
    case kind::too_long:
      return detail.empty() ? "Too long" : "Too long: " + detail;
    case kind::invalid:
    case kind::type_invalid:
      return "Invalid value: " + render_value(value) + (detail.empty() ? "" : ": " + detail);
    case kind::not_supported:
      return "Unsupported value: " + render_value(value) + (detail.empty() ? "" : ": " + detail);
    case kind::too_many:
      return "Too many: " + render_value(value) + (detail.empty() ? "" : ": " + detail);
    case kind::duplicate:
      return "Duplicate value: " + render_value(value) + (detail.empty() ? "" : ": " + detail);
  }
  return "Invalid value";
}

std::string field_error::reason() const {
  switch (type) {
    case kind::required:
      return "FieldValueRequired";
    case kind::invalid:
      return "FieldValueInvalid";
    case kind::type_invalid:
      return "FieldValueTypeInvalid";
    case kind::not_supported:
      return "FieldValueNotSupported";
    case kind::forbidden:
      return "FieldValueForbidden";
    case kind::too_long:
      return "FieldValueTooLong";
    case kind::too_many:
      return "FieldValueTooMany";
    case kind::duplicate:
      return "FieldValueDuplicate";
  }
  return "FieldValueInvalid";
}

field_error required(std::string field, std::string detail) {
  return {field_error::kind::required, std::move(field), nullptr, std::move(detail)};
}

field_error invalid(std::string field, json value, std::string detail) {
  return {field_error::kind::invalid, std::move(field), std::move(value), std::move(detail)};
}

field_error forbidden(std::string field, std::string detail) {
  return {field_error::kind::forbidden, std::move(field), nullptr, std::move(detail)};
}

field_error not_supported(std::string field, json value, const std::vector<std::string>& allowed) {
  std::string detail = "supported values: ";
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) detail += ", ";
    detail += json(allowed[i]).dump();
  }
  return {field_error::kind::not_supported, std::move(field), std::move(value), detail};
}

json api_error::to_status() const {
  json s = {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", json::object()},
            {"status", "Failure"},
            {"message", message}};
  if (!reason.empty()) s["reason"] = reason;
  if (!details.is_null()) s["details"] = details;
  s["code"] = code;
  return s;
}

api_error not_found(const std::string& qualified_resource, const std::string& group,
                    const std::string& plural, const std::string& name) {
  return make(404, "NotFound", qualified_resource + " \"" + name + "\" not found",
              details_of(group, plural, name));
}

api_error already_exists(const std::string& qualified_resource, const std::string& group,
                         const std::string& plural, const std::string& name) {
  return make(409, "AlreadyExists", qualified_resource + " \"" + name + "\" already exists",
              details_of(group, plural, name));
}

api_error conflict(const std::string& qualified_resource, const std::string& group,
                   const std::string& plural, const std::string& name, const std::string& why) {
  return make(
      409, "Conflict",
      "Operation cannot be fulfilled on " + qualified_resource + " \"" + name + "\": " + why,
      details_of(group, plural, name));
}

api_error invalid_object(const std::string& qualified_kind, const std::string& group,
                         const std::string& kind, const std::string& name,
                         const std::vector<field_error>& causes) {
  std::string list;
  json jcauses = json::array();
  for (size_t i = 0; i < causes.size(); ++i) {
    const auto& c = causes[i];
    if (i) list += ", ";
    list += c.field + ": " + c.body();
    jcauses.push_back({{"reason", c.reason()}, {"message", c.body()}, {"field", c.field}});
  }
  if (causes.size() > 1) list = "[" + list + "]";
  json details = details_of(group, kind, name);
  details["causes"] = jcauses;
  return make(422, "Invalid", qualified_kind + " \"" + name + "\" is invalid: " + list, details);
}

api_error forbidden_error(const std::string& qualified_resource, const std::string& group,
                          const std::string& plural, const std::string& name,
                          const std::string& why) {
  return make(403, "Forbidden", qualified_resource + " \"" + name + "\" is forbidden: " + why,
              details_of(group, plural, name));
}

api_error bad_request(std::string message) {
  return make(400, "BadRequest", std::move(message));
}

api_error expired(std::string message) {
  return make(410, "Expired", std::move(message));
}

api_error method_not_allowed() {
  return make(405, "MethodNotAllowed",
              "the server does not allow this method on the requested resource", json::object());
}

api_error unsupported_media_type(const std::string& content_type, const std::string& accepted) {
  return make(415, "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: " +
                  accepted,
              details_of("", content_type, ""));
}

api_error internal_error(std::string message) {
  return make(500, "InternalError", "Internal error occurred: " + message,
              json{{"causes", json::array({{{"message", message}}})}});
}

api_error path_not_found() {
  return make(404, "NotFound", "the server could not find the requested resource", json::object());
}

api_error invalid_generic(std::string message) {
  return make(422, "Invalid", std::move(message));
}

api_error from_code(int code, std::string message) {
  std::string reason;
  switch (code) {
    case 400:
      reason = "BadRequest";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "NotFound";
      break;
    case 405:
      reason = "MethodNotAllowed";
      break;
    case 409:
      reason = "Conflict";
      break;
    case 410:
      reason = "Expired";
      break;
    case 415:
      reason = "UnsupportedMediaType";
      break;
    case 422:
      reason = "Invalid";
      break;
    case 429:
      reason = "TooManyRequests";
      break;
    case 500:
      reason = "InternalError";
      break;
    case 503:
      reason = "ServiceUnavailable";
      break;
    case 504:
      reason = "Timeout";
      break;
    default:
      break;
  }
  return make(code, reason, std::move(message), json::object());
}

json success_status(const std::string& group, const std::string& plural, const std::string& name,
                    const std::string& uid) {
  json d = details_of(group, plural, name);
  if (!uid.empty()) d["uid"] = uid;
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"details", d}};
}

}  // namespace tern::kube_double
