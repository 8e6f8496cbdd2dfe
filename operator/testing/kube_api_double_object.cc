// Object helpers shared by the store, the request handlers and the built-in kinds.
#include "operator/testing/kube_api_double_object.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

namespace tern::kube_double {

namespace {

std::mt19937_64& rng() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

std::mutex& rng_mutex() {
  static std::mutex m;
  return m;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    if (dot > start) parts.emplace_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

const std::regex& subdomain_re() {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return re;
}

const std::string kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const std::string kQualifiedNameMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

void check_qualified_keys(const json& map, const std::string& field,
                          std::vector<field_error>& out) {
  if (!map.is_object()) return;
  for (const auto& [k, v] : map.items()) {
    for (const auto& p : qualified_name_problems(k)) out.push_back(invalid(field, k, p));
  }
}

json yaml_scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return s;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  // YAML 1.2 core schema: "yes", "on" and "y" stay strings, as they do when the server decodes
  // YAML into a typed object's string fields.
  static const std::set<std::string> kTrue = {"true", "True", "TRUE"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE"};
  if (kTrue.count(s)) return true;
  if (kFalse.count(s)) return false;
  static const std::regex kInt("[-+]?(0|[1-9][0-9_]*)");
  static const std::regex kHex("0x[0-9a-fA-F_]+");
  static const std::regex kOct("0o?[0-7_]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");
  auto strip = [](std::string v) {
    v.erase(std::remove(v.begin(), v.end(), '_'), v.end());
    return v;
  };
  try {
    if (std::regex_match(s, kInt)) return std::stoll(strip(s));
    if (std::regex_match(s, kHex)) return std::stoll(strip(s.substr(2)), nullptr, 16);
    if (std::regex_match(s, kOct)) {
      std::string digits = s[1] == 'o' ? s.substr(2) : s.substr(1);
      return std::stoll(strip(digits), nullptr, 8);
    }
    if (std::regex_match(s, kFloat)) return std::stod(strip(s));
  } catch (const std::out_of_range&) {
    return s;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return s;  // not JSON
  return s;
}

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return yaml_scalar(node);
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

json& meta_of(json& object) {
  json& m = object["metadata"];
  if (!m.is_object()) m = json::object();
  return m;
}

std::string meta_string(const json& object, const char* field) {
  if (!object.is_object()) return {};
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return {};
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return {};
  return f->get<std::string>();
}

const json* find_path(const json& object, std::string_view path) {
  const json* cur = &object;
  for (const auto& part : split_path(path)) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void set_path(json& object, std::string_view path, json value) {
  json* cur = &object;
  for (const auto& part : split_path(path)) {
    if (!cur->is_object()) *cur = json::object();
    cur = &(*cur)[part];
  }
  *cur = std::move(value);
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  std::lock_guard lock(rng_mutex());
  uint64_t a = rng()(), b = rng()();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_name_suffix() {
  static const std::string kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::lock_guard lock(rng_mutex());
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[rng()() % kAlphabet.size()];
  return out;
}

std::vector<std::string> dns1123_subdomain_problems(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 253) out.push_back("must be no more than 253 characters");
  if (!std::regex_match(value, subdomain_re())) out.push_back(kSubdomainMsg);
  return out;
}

std::vector<std::string> dns1123_label_problems(const std::string& value) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back("must be no more than 63 characters");
  if (!std::regex_match(value, re))
    out.push_back(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

std::vector<std::string> dns1035_label_problems(const std::string& value) {
  static const std::regex re("[a-z]([-a-z0-9]*[a-z0-9])?");
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back("must be no more than 63 characters");
  if (!std::regex_match(value, re))
    out.push_back(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  return out;
}

std::vector<std::string> qualified_name_problems(const std::string& value) {
  static const std::regex name_re("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  std::vector<std::string> out;
  std::string name = value;
  if (auto slash = value.find('/'); slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      out.push_back(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
          "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
          "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return out;
    }
    std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) out.push_back("prefix part must be non-empty");
    for (const auto& p : dns1123_subdomain_problems(prefix)) out.push_back("prefix part " + p);
  }
  if (name.empty()) {
    out.push_back("name part must be non-empty");
  } else {
    if (name.size() > 63) out.push_back("name part must be no more than 63 characters");
    if (!std::regex_match(name, name_re)) out.push_back(kQualifiedNameMsg);
  }
  return out;
}

std::vector<std::string> label_value_problems(const std::string& value) {
  static const std::regex re("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back("must be no more than 63 characters");
  if (!std::regex_match(value, re))
    out.push_back(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return out;
}

std::vector<field_error> validate_object_meta(const json& object, name_rule rule, bool namespaced) {
  std::vector<field_error> out;
  const std::string name = meta_string(object, "name");
  const std::string generate_name = meta_string(object, "generateName");
  if (name.empty() && generate_name.empty()) {
    out.push_back(required("metadata.name", "name or generateName is required"));
  } else if (!name.empty()) {
    std::vector<std::string> problems;
    switch (rule) {
      case name_rule::dns1123_subdomain:
        problems = dns1123_subdomain_problems(name);
        break;
      case name_rule::dns1123_label:
        problems = dns1123_label_problems(name);
        break;
      case name_rule::dns1035_label:
        problems = dns1035_label_problems(name);
        break;
    }
    for (const auto& p : problems) out.push_back(invalid("metadata.name", name, p));
  }
  if (namespaced && meta_string(object, "namespace").empty())
    out.push_back(required("metadata.namespace"));
  const json& m = object.at("metadata");
  if (auto it = m.find("labels"); it != m.end() && !it->is_null()) {
    if (!it->is_object()) {
      out.push_back(invalid("metadata.labels", *it, "must be a map of strings"));
    } else {
      check_qualified_keys(*it, "metadata.labels", out);
      for (const auto& [k, v] : it->items()) {
        if (!v.is_string()) {
          out.push_back(invalid("metadata.labels", v, "label values must be strings"));
          continue;
        }
        for (const auto& p : label_value_problems(v.get<std::string>()))
          out.push_back(invalid("metadata.labels", v, p));
      }
    }
  }
  if (auto it = m.find("annotations"); it != m.end() && it->is_object()) {
    check_qualified_keys(*it, "metadata.annotations", out);
    size_t total = 0;
    for (const auto& [k, v] : it->items())
      total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
    if (total > 256 * 1024)
      out.push_back({field_error::kind::too_long, "metadata.annotations", nullptr,
                     "must have at most 262144 bytes"});
  }
  if (auto it = m.find("finalizers"); it != m.end() && it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      const json& f = (*it)[i];
      const std::string field = "metadata.finalizers[" + std::to_string(i) + "]";
      if (!f.is_string()) {
        out.push_back(invalid(field, f, "must be a string"));
        continue;
      }
      for (const auto& p : qualified_name_problems(f.get<std::string>()))
        out.push_back(invalid(field, f, p));
    }
  }
  if (auto it = m.find("ownerReferences"); it != m.end() && it->is_array()) {
    std::vector<std::string> controllers;
    for (const auto& ref : *it) {
      auto str = [&](const char* k) {
        auto f = ref.find(k);
        return f != ref.end() && f->is_string() ? f->get<std::string>() : std::string();
      };
      if (str("apiVersion").empty())
        out.push_back(
            invalid("metadata.ownerReferences.apiVersion", "", "version must not be empty"));
      if (str("kind").empty())
        out.push_back(invalid("metadata.ownerReferences.kind", "", "kind must not be empty"));
      if (str("name").empty())
        out.push_back(invalid("metadata.ownerReferences.name", "", "name must not be empty"));
      if (str("uid").empty())
        out.push_back(invalid("metadata.ownerReferences.uid", "", "uid must not be empty"));
      if (ref.value("controller", false)) controllers.push_back(str("kind") + "/" + str("name"));
    }
    if (controllers.size() > 1) {
      std::string found;
      for (const auto& c : controllers) found += (found.empty() ? "" : ", ") + c;
      out.push_back(invalid("metadata.ownerReferences", *it,
                            "Only one reference can have Controller set to true. Found \"true\" "
                            "in references for " +
                                found));
    }
  }
  return out;
}

std::vector<field_error> validate_object_meta_update(const json& updated, const json& old) {
  std::vector<field_error> out;
  if (meta_string(old, "deletionTimestamp").empty()) return out;
  std::set<std::string> before;
  if (const json* f = find_path(old, "metadata.finalizers"); f && f->is_array())
    for (const auto& v : *f)
      if (v.is_string()) before.insert(v.get<std::string>());
  std::vector<std::string> added;
  if (const json* f = find_path(updated, "metadata.finalizers"); f && f->is_array())
    for (const auto& v : *f)
      if (v.is_string() && !before.count(v.get<std::string>()))
        added.push_back(v.get<std::string>());
  if (!added.empty()) {
    std::string list;
    for (const auto& a : added) list += (list.empty() ? "" : ", ") + json(a).dump();
    out.push_back(forbidden("metadata.finalizers",
                            "no new finalizers can be added if the object is being deleted, found "
                            "new finalizers []string{" +
                                list + "}"));
  }
  return out;
}

bool is_valid_base64(const std::string& value) {
  if (value.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '=') {
      if (i < value.size() - 2) return false;
      ++pad;
      continue;
    }
    if (pad) return false;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
  }
  return true;
}

std::string base64_encode(std::string_view bytes) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      continue;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

std::vector<json> parse_yaml_documents(const std::string& text) {
  std::vector<json> docs;
  try {
    for (const auto& node : YAML::LoadAll(text)) {
      if (node.IsNull()) continue;
      docs.push_back(yaml_to_json(node));
    }
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("invalid YAML: ") + e.what());
  }
  return docs;
}

}  // namespace tern::kube_double
