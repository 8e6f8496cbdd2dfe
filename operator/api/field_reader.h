// Reads typed fields out of a Kubernetes object's JSON, applying defaults for what is missing and
// collecting one error per wrongly typed field, named by its path ("spec.replicas: expected an
// integer"). Shared by the resource types of operator/api; not part of their public contract.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::op::api::detail {

using json = nlohmann::json;

// "spec" + "replicas" -> "spec.replicas"; an empty prefix gives the key alone.
std::string join_path(std::string_view prefix, std::string_view key);

// Every reader leaves `out` at its default when the field is missing or null, and records an
// error (leaving `out` unchanged) when it has the wrong type.
class field_reader {
 public:
  // The object at parent[key]: nullptr when missing, null or not an object (the last is an error).
  const json* object(const json& parent, std::string_view key, const std::string& path);
  // Whether parent[key] is present and not null.
  static bool has(const json& parent, std::string_view key);

  void integer(const json& parent, std::string_view key, const std::string& path, int64_t& out);
  void integer(const json& parent, std::string_view key, const std::string& path, int32_t& out);
  void optional_integer(const json& parent, std::string_view key, const std::string& path,
                        std::optional<int32_t>& out);
  void string(const json& parent, std::string_view key, const std::string& path, std::string& out);
  void optional_string(const json& parent, std::string_view key, const std::string& path,
                       std::optional<std::string>& out);
  void boolean(const json& parent, std::string_view key, const std::string& path, bool& out);
  void string_map(const json& parent, std::string_view key, const std::string& path,
                  std::map<std::string, std::string>& out);
  void string_list(const json& parent, std::string_view key, const std::string& path,
                   std::vector<std::string>& out);
  // Kept as JSON, only its kind checked (preserve-unknown-fields parts of a spec).
  void any_object(const json& parent, std::string_view key, const std::string& path, json& out);
  void any_array(const json& parent, std::string_view key, const std::string& path, json& out);

  void fail(const std::string& path, std::string_view message);
  const std::vector<std::string>& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }
  // The errors joined with "; ".
  std::string message() const;

 private:
  const json* field(const json& parent, std::string_view key) const;

  std::vector<std::string> errors_;
};

}  // namespace tern::op::api::detail
