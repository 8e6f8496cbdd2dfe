// Label and field selectors in the query-string syntax of the Kubernetes API
// (`app=a,tier!=b,env in (x,y),!legacy`, `metadata.name=foo`).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tern::kube_double {

using json = nlohmann::json;

class label_selector {
 public:
  enum class op { equals, not_equals, in, not_in, exists, does_not_exist, greater, less };
  struct requirement {
    std::string key;
    op operation = op::exists;
    std::vector<std::string> values;
  };

  // The error text is what the server puts in its 400 BadRequest.
  static std::expected<label_selector, std::string> parse(std::string_view text);
  // A metav1.LabelSelector object ({matchLabels, matchExpressions}).
  static std::expected<label_selector, std::string> from_object(const json& selector);

  bool empty() const { return requirements_.empty(); }
  // `labels` is metadata.labels (null or an object of strings).
  bool matches(const json& labels) const;
  // The canonical string form, as a scale subresource reports status.selector.
  std::string to_string() const;

 private:
  std::vector<requirement> requirements_;
};

class field_selector {
 public:
  struct requirement {
    std::string field;
    bool negated = false;
    std::string value;
  };

  static std::expected<field_selector, std::string> parse(std::string_view text);

  bool empty() const { return requirements_.empty(); }
  const std::vector<requirement>& requirements() const { return requirements_; }
  // Looks fields up by dotted path in the object; a missing field reads as "".
  bool matches(const json& object) const;

 private:
  std::vector<requirement> requirements_;
};

}  // namespace tern::kube_double
