// Structural schema defaulting, pruning and validation. Error wording follows kube-openapi's
// validate package as converted to field errors by the apiextensions server.
#include "operator/testing/kube_api_double_schema.h"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace tern::kube_double {

namespace {

const json kEmpty = json::object();

bool flag(const json& s, const char* name) {
  auto it = s.find(name);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

const json* child(const json& s, const char* name) {
  if (!s.is_object()) return nullptr;
  auto it = s.find(name);
  if (it == s.end() || it->is_null()) return nullptr;
  return &*it;
}

// The schema for property `key` of an object node: a declared property, else the
// additionalProperties schema, else null.
const json* property_schema(const json& s, const std::string& key) {
  if (const json* props = child(s, "properties"); props && props->is_object()) {
    auto it = props->find(key);
    if (it != props->end()) return &*it;
  }
  if (const json* ap = child(s, "additionalProperties"); ap && ap->is_object()) return ap;
  return nullptr;
}

bool nullable(const json* s) {
  return s && flag(*s, "nullable");
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string type_name(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return std::floor(d) == d && std::isfinite(d) ? "integer" : "number";
  }
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

// Go's %v for a float64 bound.
std::string go_number(const json& n) {
  if (n.is_number_integer() || n.is_number_unsigned()) return n.dump();
  const double d = n.get<double>();
  if (std::floor(d) == d && std::fabs(d) < 1e21) {
    std::ostringstream os;
    os << static_cast<long long>(d);
    return os.str();
  }
  std::ostringstream os;
  os.precision(17);
  os << d;
  return os.str();
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

void drop_nulls_and_default(json& x, const json& s) {
  if (x.is_object()) {
    if (const json* props = child(s, "properties"); props && props->is_object()) {
      for (const auto& [k, prop] : props->items()) {
        auto d = prop.find("default");
        if (d == prop.end()) continue;
        auto it = x.find(k);
        if (it == x.end() || (it->is_null() && !nullable(&prop))) x[k] = *d;
      }
    }
    for (auto it = x.begin(); it != x.end();) {
      const json* ps = property_schema(s, it.key());
      if (it->is_null() && ps && !nullable(ps)) {
        it = x.erase(it);
        continue;
      }
      if (ps) drop_nulls_and_default(*it, *ps);
      ++it;
    }
  } else if (x.is_array()) {
    if (const json* items = child(s, "items"); items && items->is_object()) {
      for (auto& e : x) {
        if (e.is_null() && !nullable(items)) {
          if (auto d = items->find("default"); d != items->end()) e = *d;
        }
        drop_nulls_and_default(e, *items);
      }
    }
  }
}

void prune_object_meta(json& m) {
  static const std::set<std::string> kKnown = {"name",
                                               "generateName",
                                               "namespace",
                                               "selfLink",
                                               "uid",
                                               "resourceVersion",
                                               "generation",
                                               "creationTimestamp",
                                               "deletionTimestamp",
                                               "deletionGracePeriodSeconds",
                                               "labels",
                                               "annotations",
                                               "ownerReferences",
                                               "finalizers",
                                               "managedFields"};
  if (!m.is_object()) return;
  for (auto it = m.begin(); it != m.end();) {
    if (!kKnown.count(it.key()))
      it = m.erase(it);
    else
      ++it;
  }
}

void prune(json& x, const json& s, bool root) {
  const bool preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
  if (x.is_object()) {
    const bool embedded = root || flag(s, "x-kubernetes-embedded-resource");
    const json* props = child(s, "properties");
    const json* ap = child(s, "additionalProperties");
    for (auto it = x.begin(); it != x.end();) {
      if (embedded && (it.key() == "apiVersion" || it.key() == "kind" || it.key() == "metadata")) {
        if (it.key() == "metadata" && !root) prune_object_meta(*it);
        ++it;
        continue;
      }
      const json* ps = nullptr;
      if (props && props->is_object()) {
        auto p = props->find(it.key());
        if (p != props->end()) ps = &*p;
      }
      if (!ps && ap && ap->is_object()) ps = ap;
      if (ps) {
        prune(*it, *ps, false);
        ++it;
      } else if (preserve || (ap && ap->is_boolean() && ap->get<bool>())) {
        ++it;
      } else {
        it = x.erase(it);
      }
    }
  } else if (x.is_array()) {
    if (const json* items = child(s, "items"); items && items->is_object())
      for (auto& e : x) prune(e, *items, false);
  }
}

class validator {
 public:
  std::vector<field_error> errors;

  void check(const json& x, const json& s, const std::string& path, bool root = false) {
    if (!s.is_object()) return;
    if (x.is_null()) {
      if (nullable(&s)) return;
      if (s.contains("type") || flag(s, "x-kubernetes-int-or-string")) {
        type_error(x, s, path);
        return;
      }
    }
    if (!check_type(x, s, path)) return;
    check_enum(x, s, path);
    if (x.is_number()) check_number(x, s, path);
    if (x.is_string()) check_string(x.get<std::string>(), s, path);
    if (x.is_array()) check_array(x, s, path);
    if (x.is_object()) check_object(x, s, path, root);
    check_combinators(x, s, path);
  }

 private:
  void type_error(const json& x, const json& s, const std::string& path) {
    std::string want =
        flag(s, "x-kubernetes-int-or-string") ? "integer,string" : s.value("type", std::string());
    const std::string have = type_name(x);
    errors.push_back({field_error::kind::type_invalid, path, have,
                      path + " in body must be of type " + want + ": " + json(have).dump()});
  }

  bool check_type(const json& x, const json& s, const std::string& path) {
    const std::string have = type_name(x);
    if (flag(s, "x-kubernetes-int-or-string")) {
      if (have == "integer" || have == "string") return true;
      type_error(x, s, path);
      return false;
    }
    auto t = s.find("type");
    if (t == s.end() || !t->is_string()) return true;
    const std::string want = t->get<std::string>();
    const bool ok = want == have || (want == "number" && have == "integer");
    if (!ok) type_error(x, s, path);
    return ok;
  }

  void check_enum(const json& x, const json& s, const std::string& path) {
    const json* e = child(s, "enum");
    if (!e || !e->is_array()) return;
    for (const auto& v : *e)
      if (v == x) return;
    std::vector<std::string> allowed;
    for (const auto& v : *e) allowed.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    errors.push_back(not_supported(path, x, allowed));
  }

  void check_number(const json& x, const json& s, const std::string& path) {
    const double v = x.get<double>();
    if (const json* m = child(s, "minimum"); m && m->is_number()) {
      const bool exclusive = flag(s, "exclusiveMinimum");
      if (exclusive ? !(v > m->get<double>()) : !(v >= m->get<double>()))
        errors.push_back(invalid(path, x,
                                 path + " in body should be greater than " +
                                     (exclusive ? "" : "or equal to ") + go_number(*m)));
    }
    if (const json* m = child(s, "maximum"); m && m->is_number()) {
      const bool exclusive = flag(s, "exclusiveMaximum");
      if (exclusive ? !(v < m->get<double>()) : !(v <= m->get<double>()))
        errors.push_back(invalid(path, x,
                                 path + " in body should be less than " +
                                     (exclusive ? "" : "or equal to ") + go_number(*m)));
    }
    if (const json* m = child(s, "multipleOf"); m && m->is_number() && m->get<double>() > 0) {
      const double q = v / m->get<double>();
      if (std::fabs(q - std::round(q)) > 1e-9)
        errors.push_back(
            invalid(path, x, path + " in body should be a multiple of " + go_number(*m)));
    }
  }

  void check_string(const std::string& v, const json& s, const std::string& path) {
    const size_t len = utf8_length(v);
    if (const json* m = child(s, "maxLength"); m && m->is_number() && len > m->get<size_t>())
      errors.push_back(
          {field_error::kind::too_long, path, v, "may not be more than " + m->dump() + " bytes"});
    if (const json* m = child(s, "minLength"); m && m->is_number() && len < m->get<size_t>())
      errors.push_back(
          invalid(path, v, path + " in body should be at least " + m->dump() + " chars long"));
    if (const json* p = child(s, "pattern"); p && p->is_string()) {
      try {
        const std::regex re(p->get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(v, re))
          errors.push_back(
              invalid(path, v, path + " in body should match '" + p->get<std::string>() + "'"));
      } catch (const std::regex_error&) {
        // The CRD was accepted with a pattern std::regex cannot compile; do not guess.
      }
    }
  }

  void check_array(const json& x, const json& s, const std::string& path) {
    if (const json* items = child(s, "items"); items && items->is_object())
      for (size_t i = 0; i < x.size(); ++i)
        check(x[i], *items, path + "[" + std::to_string(i) + "]");
    if (const json* m = child(s, "minItems"); m && m->is_number() && x.size() < m->get<size_t>())
      errors.push_back(
          invalid(path, x, path + " in body should have at least " + m->dump() + " items"));
    if (const json* m = child(s, "maxItems"); m && m->is_number() && x.size() > m->get<size_t>())
      errors.push_back({field_error::kind::too_many, path, x.size(),
                        "must have at most " + m->dump() + " items"});
    if (flag(s, "uniqueItems")) {
      for (size_t i = 0; i < x.size(); ++i)
        for (size_t j = i + 1; j < x.size(); ++j)
          if (x[i] == x[j]) {
            errors.push_back(invalid(path, x, path + " in body shouldn't contain duplicates"));
            return;
          }
    }
    const std::string list_type = s.value("x-kubernetes-list-type", std::string());
    if (list_type == "set") {
      for (size_t i = 0; i < x.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (x[i] == x[j]) {
            errors.push_back(
                {field_error::kind::duplicate, path + "[" + std::to_string(i) + "]", x[i], ""});
            break;
          }
    } else if (list_type == "map") {
      const json* keys = child(s, "x-kubernetes-list-map-keys");
      if (!keys || !keys->is_array()) return;
      for (size_t i = 0; i < x.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          bool same = true;
          json key_value = json::object();
          for (const auto& k : *keys) {
            const std::string key = k.get<std::string>();
            const json a = x[i].is_object() && x[i].contains(key) ? x[i][key] : json();
            const json b = x[j].is_object() && x[j].contains(key) ? x[j][key] : json();
            key_value[key] = a;
            if (a != b) same = false;
          }
          if (same) {
            errors.push_back({field_error::kind::duplicate, path + "[" + std::to_string(i) + "]",
                              key_value, ""});
            break;
          }
        }
      }
    }
  }

  void check_object(const json& x, const json& s, const std::string& path, bool root) {
    if (const json* req = child(s, "required"); req && req->is_array()) {
      for (const auto& r : *req) {
        if (!r.is_string()) continue;
        const std::string key = r.get<std::string>();
        if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
        if (!x.contains(key)) errors.push_back(required(join(path, key)));
      }
    }
    for (const auto& [k, v] : x.items()) {
      if (root && (k == "apiVersion" || k == "kind" || k == "metadata")) continue;
      if (const json* ps = property_schema(s, k)) check(v, *ps, join(path, k));
    }
    if (const json* m = child(s, "minProperties");
        m && m->is_number() && x.size() < m->get<size_t>())
      errors.push_back(invalid(
          path, x.size(), path + " in body should have at least " + m->dump() + " properties"));
    if (const json* m = child(s, "maxProperties");
        m && m->is_number() && x.size() > m->get<size_t>())
      errors.push_back({field_error::kind::too_many, path, x.size(),
                        "must have at most " + m->dump() + " items"});
  }

  static bool passes(const json& x, const json& s, const std::string& path) {
    validator v;
    v.check(x, s, path);
    return v.errors.empty();
  }

  void check_combinators(const json& x, const json& s, const std::string& path) {
    if (const json* all = child(s, "allOf"); all && all->is_array())
      for (const auto& sub : *all) check(x, sub, path);
    if (const json* any = child(s, "anyOf"); any && any->is_array() && !any->empty()) {
      bool ok = false;
      for (const auto& sub : *any) ok = ok || passes(x, sub, path);
      if (!ok)
        errors.push_back(
            invalid(path, x, path + " in body must validate at least one schema (anyOf)"));
    }
    if (const json* one = child(s, "oneOf"); one && one->is_array() && !one->empty()) {
      int n = 0;
      for (const auto& sub : *one) n += passes(x, sub, path) ? 1 : 0;
      if (n != 1)
        errors.push_back(
            invalid(path, x, path + " in body must validate one and only one schema (oneOf)"));
    }
    if (const json* no = child(s, "not"); no && no->is_object()) {
      if (passes(x, *no, path))
        errors.push_back(invalid(path, x, path + " in body should not validate the schema (not)"));
    }
  }
};

}  // namespace

structural_schema::structural_schema(json openapi_v3) : schema_(std::move(openapi_v3)) {
  if (!schema_.is_object()) schema_ = kEmpty;
}

void structural_schema::default_and_prune(json& object) const {
  drop_nulls_and_default(object, schema_);
  prune(object, schema_, true);
}

std::vector<field_error> structural_schema::validate(const json& object) const {
  validator v;
  v.check(object, schema_, "", true);
  return std::move(v.errors);
}

}  // namespace tern::kube_double
