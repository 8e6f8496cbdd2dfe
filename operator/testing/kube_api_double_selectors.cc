// Selector parsing follows k8s.io/apimachinery/pkg/labels and pkg/fields: whitespace is allowed
// around tokens, `!=` and `notin` match objects without the key, set values sit in parentheses.
#include "operator/testing/kube_api_double_selectors.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "operator/testing/kube_api_double_object.h"

namespace tern::kube_double {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses.
std::expected<std::vector<std::string_view>, std::string> split_top_level(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')') {
      if (--depth < 0) return std::unexpected("unable to parse requirement: unexpected ')'");
    } else if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) return std::unexpected("unable to parse requirement: found '', expected: ')'");
  parts.push_back(text.substr(start));
  return parts;
}

std::expected<void, std::string> check_key(const std::string& key) {
  auto problems = qualified_name_problems(key);
  if (problems.empty()) return {};
  return std::unexpected("unable to parse requirement: values[0][" + key +
                         "]: Invalid value: " + json(key).dump() + ": " + problems.front());
}

std::expected<void, std::string> check_value(const std::string& value) {
  auto problems = label_value_problems(value);
  if (problems.empty()) return {};
  return std::unexpected("unable to parse requirement: values[0]: Invalid value: " +
                         json(value).dump() + ": " + problems.front());
}

bool is_word_boundary(std::string_view s, size_t pos) {
  return pos >= s.size() || std::isspace(static_cast<unsigned char>(s[pos])) || s[pos] == '(';
}

// Finds " in " / " notin " as a whole word after the key.
size_t find_word(std::string_view s, std::string_view word) {
  for (size_t pos = s.find(word); pos != std::string_view::npos; pos = s.find(word, pos + 1)) {
    const bool before = pos > 0 && std::isspace(static_cast<unsigned char>(s[pos - 1]));
    if (before && is_word_boundary(s, pos + word.size())) return pos;
  }
  return std::string_view::npos;
}

std::expected<std::vector<std::string>, std::string> parse_set(std::string_view rest) {
  rest = trim(rest);
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
    return std::unexpected("unable to parse requirement: found '" + std::string(rest) +
                           "', expected: '('");
  rest = rest.substr(1, rest.size() - 2);
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t comma = rest.find(',', start);
    if (comma == std::string_view::npos) comma = rest.size();
    std::string v(trim(rest.substr(start, comma - start)));
    if (auto ok = check_value(v); !ok) return std::unexpected(ok.error());
    values.push_back(v);
    start = comma + 1;
  }
  return values;
}

const std::string* label_of(const json& labels, const std::string& key) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

std::expected<label_selector, std::string> label_selector::parse(std::string_view text) {
  label_selector sel;
  text = trim(text);
  if (text.empty()) return sel;
  auto parts = split_top_level(text);
  if (!parts) return std::unexpected(parts.error());
  for (auto raw : *parts) {
    std::string_view part = trim(raw);
    if (part.empty()) return std::unexpected("found '', expected: identifier");
    requirement req;
    if (part.front() == '!') {
      req.key = std::string(trim(part.substr(1)));
      req.operation = op::does_not_exist;
    } else if (auto pos = find_word(part, "notin"); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = op::not_in;
      auto values = parse_set(part.substr(pos + 5));
      if (!values) return std::unexpected(values.error());
      req.values = std::move(*values);
    } else if (auto pos = find_word(part, "in"); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = op::in;
      auto values = parse_set(part.substr(pos + 2));
      if (!values) return std::unexpected(values.error());
      req.values = std::move(*values);
    } else if (auto pos = part.find("!="); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = op::not_equals;
      req.values = {std::string(trim(part.substr(pos + 2)))};
    } else if (auto pos = part.find("=="); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = op::equals;
      req.values = {std::string(trim(part.substr(pos + 2)))};
    } else if (auto pos = part.find('='); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = op::equals;
      req.values = {std::string(trim(part.substr(pos + 1)))};
    } else if (auto pos = part.find_first_of("<>"); pos != std::string_view::npos) {
      req.key = std::string(trim(part.substr(0, pos)));
      req.operation = part[pos] == '>' ? op::greater : op::less;
      std::string v(trim(part.substr(pos + 1)));
      if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
          }))
        return std::unexpected(
            "unable to parse requirement: for 'Gt', 'Lt' operators, the "
            "value must be an integer");
      req.values = {v};
    } else {
      req.key = std::string(part);
      req.operation = op::exists;
    }
    if (req.key.empty()) return std::unexpected("found '', expected: identifier");
    if (auto ok = check_key(req.key); !ok) return std::unexpected(ok.error());
    if (req.operation == op::equals || req.operation == op::not_equals) {
      if (auto ok = check_value(req.values.front()); !ok) return std::unexpected(ok.error());
    }
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

std::expected<label_selector, std::string> label_selector::from_object(const json& selector) {
  label_selector sel;
  if (!selector.is_object()) return sel;
  if (auto it = selector.find("matchLabels"); it != selector.end() && it->is_object()) {
    for (const auto& [k, v] : it->items())
      sel.requirements_.push_back({k, op::equals, {v.is_string() ? v.get<std::string>() : ""}});
  }
  if (auto it = selector.find("matchExpressions"); it != selector.end() && it->is_array()) {
    for (const auto& e : *it) {
      requirement req;
      req.key = e.value("key", "");
      const std::string o = e.value("operator", "");
      if (o == "In")
        req.operation = op::in;
      else if (o == "NotIn")
        req.operation = op::not_in;
      else if (o == "Exists")
        req.operation = op::exists;
      else if (o == "DoesNotExist")
        req.operation = op::does_not_exist;
      else
        return std::unexpected("\"" + o + "\" is not a valid label selector operator");
      if (auto v = e.find("values"); v != e.end() && v->is_array())
        for (const auto& x : *v) req.values.push_back(x.is_string() ? x.get<std::string>() : "");
      sel.requirements_.push_back(std::move(req));
    }
  }
  // The server sorts requirements by key when it renders them.
  std::stable_sort(sel.requirements_.begin(), sel.requirements_.end(),
                   [](const requirement& a, const requirement& b) { return a.key < b.key; });
  return sel;
}

bool label_selector::matches(const json& labels) const {
  for (const auto& r : requirements_) {
    const std::string* v = label_of(labels, r.key);
    switch (r.operation) {
      case op::equals:
        if (!v || *v != r.values.front()) return false;
        break;
      case op::not_equals:
        if (v && *v == r.values.front()) return false;
        break;
      case op::in:
        if (!v || std::find(r.values.begin(), r.values.end(), *v) == r.values.end()) return false;
        break;
      case op::not_in:
        if (v && std::find(r.values.begin(), r.values.end(), *v) != r.values.end()) return false;
        break;
      case op::exists:
        if (!v) return false;
        break;
      case op::does_not_exist:
        if (v) return false;
        break;
      case op::greater:
      case op::less: {
        if (!v) return false;
        try {
          const long long have = std::stoll(*v), want = std::stoll(r.values.front());
          if (r.operation == op::greater ? !(have > want) : !(have < want)) return false;
        } catch (const std::exception&) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

std::string label_selector::to_string() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ",";
    auto set = [&] {
      std::vector<std::string> v = r.values;
      std::sort(v.begin(), v.end());
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
      return "(" + s + ")";
    };
    switch (r.operation) {
      case op::equals:
        out += r.key + "=" + r.values.front();
        break;
      case op::not_equals:
        out += r.key + "!=" + r.values.front();
        break;
      case op::in:
        out += r.key + " in " + set();
        break;
      case op::not_in:
        out += r.key + " notin " + set();
        break;
      case op::exists:
        out += r.key;
        break;
      case op::does_not_exist:
        out += "!" + r.key;
        break;
      case op::greater:
        out += r.key + ">" + r.values.front();
        break;
      case op::less:
        out += r.key + "<" + r.values.front();
        break;
    }
  }
  return out;
}

std::expected<field_selector, std::string> field_selector::parse(std::string_view text) {
  field_selector sel;
  text = trim(text);
  if (text.empty()) return sel;
  // Field selector values may escape ',', '=' and '!' with a backslash.
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back() += '\\';
      parts.back() += text[++i];
    } else if (text[i] == ',') {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  auto unescape = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i];
    }
    return out;
  };
  auto find_unescaped = [](const std::string& s, std::string_view what) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
        continue;
      }
      if (s.compare(i, what.size(), what) == 0) return i;
    }
    return std::string::npos;
  };
  for (const auto& part : parts) {
    requirement req;
    size_t pos;
    size_t len;
    if ((pos = find_unescaped(part, "!=")) != std::string::npos) {
      req.negated = true;
      len = 2;
    } else if ((pos = find_unescaped(part, "==")) != std::string::npos) {
      len = 2;
    } else if ((pos = find_unescaped(part, "=")) != std::string::npos) {
      len = 1;
    } else {
      return std::unexpected("invalid selector: '" + std::string(text) + "'; can't understand '" +
                             part + "'");
    }
    req.field = std::string(trim(part.substr(0, pos)));
    req.value = unescape(trim(std::string_view(part).substr(pos + len)));
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

bool field_selector::matches(const json& object) const {
  for (const auto& r : requirements_) {
    const json* v = find_path(object, r.field);
    std::string have;
    if (v && v->is_string())
      have = v->get<std::string>();
    else if (v && !v->is_null())
      have = v->dump();
    if ((have == r.value) == r.negated) return false;
  }
  return true;
}

}  // namespace tern::kube_double
