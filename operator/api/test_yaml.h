// Test helper: YAML documents (the samples, CRDs) as the JSON the API server would return.
// Plain scalars become integers, booleans or null when they read as one; quoted ones stay
// strings, as in Kubernetes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::op::api::test {

inline nlohmann::json yaml_to_json(const YAML::Node& node) {
  using nlohmann::json;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() == "!") return text;  // quoted
      if (text == "true") return true;
      if (text == "false") return false;
      if (text == "null" || text == "~") return nullptr;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size() && !text.empty()) return v;
      return text;
    }
    default:
      return nullptr;
  }
}

inline std::vector<nlohmann::json> load_yaml_file(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& doc : YAML::LoadAllFromFile(path)) {
    if (!doc.IsNull()) out.push_back(yaml_to_json(doc));
  }
  return out;
}

inline std::string source_path(const std::string& relative) {
  return std::string(TERN_SOURCE_DIR) + "/" + relative;
}

}  // namespace tern::op::api::test
