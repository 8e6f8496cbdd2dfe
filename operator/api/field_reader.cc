// Typed field access with defaults and path-named errors for the operator's resource types.
#include "operator/api/field_reader.h"

#include <limits>

namespace tern::op::api::detail {

std::string join_path(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '.';
  out += key;
  return out;
}

const json* field_reader::field(const json& parent, std::string_view key) const {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

bool field_reader::has(const json& parent, std::string_view key) {
  if (!parent.is_object()) return false;
  auto it = parent.find(key);
  return it != parent.end() && !it->is_null();
}

void field_reader::fail(const std::string& path, std::string_view message) {
  errors_.push_back(path + ": " + std::string(message));
}

std::string field_reader::message() const {
  std::string out;
  for (const auto& e : errors_) {
    if (!out.empty()) out += "; ";
    out += e;
  }
  return out;
}

const json* field_reader::object(const json& parent, std::string_view key,
                                 const std::string& path) {
  const json* v = field(parent, key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    fail(path, "expected an object");
    return nullptr;
  }
  return v;
}

void field_reader::integer(const json& parent, std::string_view key, const std::string& path,
                           int64_t& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(path, "integer out of range");
      return;
    }
    out = static_cast<int64_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    out = v->get<int64_t>();
  } else {
    fail(path, "expected an integer");
  }
}

void field_reader::integer(const json& parent, std::string_view key, const std::string& path,
                           int32_t& out) {
  int64_t wide = out;
  const size_t before = errors_.size();
  integer(parent, key, path, wide);
  if (errors_.size() != before) return;
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
    fail(path, "integer out of range (int32)");
    return;
  }
  out = static_cast<int32_t>(wide);
}

void field_reader::optional_integer(const json& parent, std::string_view key,
                                    const std::string& path, std::optional<int32_t>& out) {
  if (!has(parent, key)) return;
  int32_t v = 0;
  const size_t before = errors_.size();
  integer(parent, key, path, v);
  if (errors_.size() == before) out = v;
}

void field_reader::string(const json& parent, std::string_view key, const std::string& path,
                          std::string& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_string()) {
    fail(path, "expected a string");
    return;
  }
  out = v->get<std::string>();
}

void field_reader::optional_string(const json& parent, std::string_view key,
                                   const std::string& path, std::optional<std::string>& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_string()) {
    fail(path, "expected a string");
    return;
  }
  out = v->get<std::string>();
}

void field_reader::boolean(const json& parent, std::string_view key, const std::string& path,
                           bool& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_boolean()) {
    fail(path, "expected a boolean");
    return;
  }
  out = v->get<bool>();
}

void field_reader::string_map(const json& parent, std::string_view key, const std::string& path,
                              std::map<std::string, std::string>& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_object()) {
    fail(path, "expected an object of strings");
    return;
  }
  std::map<std::string, std::string> result;
  bool good = true;
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string()) {
      // Kubernetes' own notation for map entries, e.g. spec.config[num.partitions].
      fail(path + "[" + k + "]", "expected a string (quote numbers and booleans)");
      good = false;
      continue;
    }
    result[k] = value.get<std::string>();
  }
  if (good) out = std::move(result);
}

void field_reader::string_list(const json& parent, std::string_view key, const std::string& path,
                               std::vector<std::string>& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_array()) {
    fail(path, "expected an array of strings");
    return;
  }
  std::vector<std::string> result;
  bool good = true;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      fail(path + "[" + std::to_string(i) + "]", "expected a string");
      good = false;
      continue;
    }
    result.push_back((*v)[i].get<std::string>());
  }
  if (good) out = std::move(result);
}

void field_reader::any_object(const json& parent, std::string_view key, const std::string& path,
                              json& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_object()) {
    fail(path, "expected an object");
    return;
  }
  out = *v;
}

void field_reader::any_array(const json& parent, std::string_view key, const std::string& path,
                             json& out) {
  const json* v = field(parent, key);
  if (v == nullptr) return;
  if (!v->is_array()) {
    fail(path, "expected an array");
    return;
  }
  out = *v;
}

}  // namespace tern::op::api::detail
