// Kubernetes REST paths and query strings: which resource, namespace, name and subresource a
// request addresses, or which discovery document it asks for.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tern::kube_double {

struct route {
  enum class target {
    unknown,
    root,           // /
    version,        // /version
    health,         // /healthz, /readyz, /livez
    core_versions,  // /api
    group_list,     // /apis
    group,          // /apis/{group}
    resource_list,  // /api/v1, /apis/{group}/{version}
    resource,       // a collection, an object or a subresource
  };
  target what = target::unknown;
  std::string group, version;
  std::string ns;           // empty: cluster-scoped path or every namespace
  bool ns_in_path = false;  // the path named a namespace (/namespaces/{ns}/...)
  std::string plural, name, subresource;
  bool legacy_watch = false;  // /api/v1/watch/... (deprecated watch paths)
};

route parse_route(std::string_view path);

class query_params {
 public:
  static query_params parse(std::string_view query);

  std::optional<std::string> get(const std::string& name) const;
  std::string value(const std::string& name, const std::string& fallback = "") const;
  bool is_true(const std::string& name) const;  // "true" or "1"

 private:
  std::map<std::string, std::string> values_;
};

std::string url_decode(std::string_view text, bool plus_is_space);

}  // namespace tern::kube_double
