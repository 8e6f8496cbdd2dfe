// Flat "key = value" configuration gathered from a YAML (or .properties) file, then
// `--override key=value` flags, then TERN_-prefixed environment variables, each layer
// overriding the one before. Typed readers report bad values with the key's name.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tern {

class config_map {
 public:
  // Reads a YAML mapping (nested maps flatten to dotted keys) or, for a *.properties file,
  // Kafka's key=value lines.
  static std::expected<config_map, std::string> from_file(const std::string& path);

  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  // `key=value`; an error for anything else.
  std::expected<void, std::string> set_assignment(const std::string& assignment);
  // TERN_LOG_DIRS=x sets log.dirs=x: strip the prefix, lower-case, '_' -> '.'.
  void apply_environment(char** envp);

  bool contains(const std::string& key) const { return values_.contains(key); }
  std::optional<std::string> get(const std::string& key) const;
  const std::map<std::string, std::string>& entries() const { return values_; }

  std::expected<std::string, std::string> get_string(const std::string& key,
                                                     const std::string& fallback) const;
  std::expected<int64_t, std::string> get_int(const std::string& key, int64_t fallback) const;
  std::expected<bool, std::string> get_bool(const std::string& key, bool fallback) const;

 private:
  std::map<std::string, std::string> values_;
};

// Parses a decimal integer that must consume the whole string.
std::optional<int64_t> parse_int(const std::string& text);
std::optional<bool> parse_bool(const std::string& text);

}  // namespace tern
