// Path and query parsing. Ambiguous core paths (/api/v1/namespaces/x/status) resolve as the real
// server's routes do: the namespace object's own subresources first.
#include "operator/testing/kube_api_double_router.h"

#include <vector>

namespace tern::kube_double {

namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(url_decode(path.substr(start, slash - start), false));
    start = slash + 1;
  }
  return parts;
}

// rest: the segments after /api/v1 or /apis/{group}/{version}.
route resource_route(route r, std::vector<std::string> rest) {
  r.what = route::target::resource;
  if (!rest.empty() && rest[0] == "watch") {
    r.legacy_watch = true;
    rest.erase(rest.begin());
  }
  if (rest.empty()) return route{};
  const bool core = r.group.empty();
  if (rest[0] == "namespaces") {
    const bool namespace_object =
        core &&
        (rest.size() <= 2 || (rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize")));
    if (namespace_object) {
      r.plural = "namespaces";
      if (rest.size() >= 2) r.name = rest[1];
      if (rest.size() == 3) r.subresource = rest[2];
      return r;
    }
    if (rest.size() < 3 || rest.size() > 5) return route{};
    r.ns = rest[1];
    r.ns_in_path = true;
    r.plural = rest[2];
    if (rest.size() >= 4) r.name = rest[3];
    if (rest.size() == 5) r.subresource = rest[4];
    return r;
  }
  if (rest.size() > 3) return route{};
  r.plural = rest[0];
  if (rest.size() >= 2) r.name = rest[1];
  if (rest.size() == 3) r.subresource = rest[2];
  return r;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

route parse_route(std::string_view path) {
  const auto parts = split(path);
  route r;
  if (parts.empty()) {
    r.what = route::target::root;
    return r;
  }
  if (parts.size() == 1 && parts[0] == "version") {
    r.what = route::target::version;
    return r;
  }
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "readyz" || parts[0] == "livez")) {
    r.what = route::target::health;
    return r;
  }
  if (parts[0] == "api") {
    if (parts.size() == 1) {
      r.what = route::target::core_versions;
      return r;
    }
    r.version = parts[1];
    if (parts.size() == 2) {
      r.what = route::target::resource_list;
      return r;
    }
    return resource_route(r, {parts.begin() + 2, parts.end()});
  }
  if (parts[0] == "apis") {
    if (parts.size() == 1) {
      r.what = route::target::group_list;
      return r;
    }
    r.group = parts[1];
    if (parts.size() == 2) {
      r.what = route::target::group;
      return r;
    }
    r.version = parts[2];
    if (parts.size() == 3) {
      r.what = route::target::resource_list;
      return r;
    }
    return resource_route(r, {parts.begin() + 3, parts.end()});
  }
  return r;
}

query_params query_params::parse(std::string_view query) {
  query_params q;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = url_decode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true);
      q.values_.emplace(std::move(key), std::move(value));
    }
    start = amp + 1;
  }
  return q;
}

std::optional<std::string> query_params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string query_params::value(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool query_params::is_true(const std::string& name) const {
  auto v = get(name);
  return v && (*v == "true" || *v == "1");
}

}  // namespace tern::kube_double
