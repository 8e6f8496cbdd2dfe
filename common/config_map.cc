// Layered configuration: file, flags, environment.
#include "common/config_map.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace tern {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void flatten(const YAML::Node& node, const std::string& prefix, config_map& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsSequence()) {
    // Lists become Kafka's comma-separated form, e.g. listeners.
    std::string joined;
    for (const auto& item : node) {
      if (!joined.empty()) joined += ",";
      joined += item.as<std::string>();
    }
    out.set(prefix, joined);
  } else if (node.IsScalar()) {
    out.set(prefix, node.as<std::string>());
  } else if (node.IsNull() && !prefix.empty()) {
    out.set(prefix, "");
  }
}

}  // namespace

std::optional<int64_t> parse_int(const std::string& text) {
  const std::string t = trim(text);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size() || t.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& text) {
  std::string t = trim(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true") return true;
  if (t == "false") return false;
  return std::nullopt;
}

std::expected<config_map, std::string> config_map::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected("cannot read config file " + path);
  config_map out;
  if (path.ends_with(".properties")) {
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      const std::string t = trim(line);
      if (t.empty() || t[0] == '#' || t[0] == '!') continue;
      size_t eq = t.find_first_of("=:");
      if (eq == std::string::npos)
        return std::unexpected(path + ":" + std::to_string(number) + ": expected key=value");
      out.set(trim(t.substr(0, eq)), trim(t.substr(eq + 1)));
    }
    return out;
  }
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsNull() && !root.IsMap())
      return std::unexpected(path + ": expected a mapping of config keys to values");
    flatten(root, "", out);
  } catch (const YAML::Exception& e) {
    return std::unexpected(path + ": " + e.what());
  }
  return out;
}

std::expected<void, std::string> config_map::set_assignment(const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return std::unexpected("expected key=value, got '" + assignment + "'");
  set(trim(assignment.substr(0, eq)), assignment.substr(eq + 1));
  return {};
}

void config_map::apply_environment(char** envp) {
  constexpr std::string_view kPrefix = "TERN_";
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with(kPrefix)) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(entry.substr(kPrefix.size(), eq - kPrefix.size()));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
      return c == '_' ? '.' : static_cast<char>(std::tolower(c));
    });
    set(key, std::string(entry.substr(eq + 1)));
  }
}

std::optional<std::string> config_map::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::expected<std::string, std::string> config_map::get_string(const std::string& key,
                                                               const std::string& fallback) const {
  return get(key).value_or(fallback);
}

std::expected<int64_t, std::string> config_map::get_int(const std::string& key,
                                                        int64_t fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  auto n = parse_int(*v);
  if (!n) return std::unexpected(key + ": expected an integer, got '" + *v + "'");
  return *n;
}

std::expected<bool, std::string> config_map::get_bool(const std::string& key, bool fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  auto b = parse_bool(*v);
  if (!b) return std::unexpected(key + ": expected true or false, got '" + *v + "'");
  return *b;
}

}  // namespace tern
