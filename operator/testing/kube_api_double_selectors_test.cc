// Label and field selector parsing and matching.
#include "operator/testing/kube_api_double_selectors.h"

#include <gtest/gtest.h>

namespace tern::kube_double {
namespace {

bool matches(const char* selector, const json& labels) {
  auto s = label_selector::parse(selector);
  EXPECT_TRUE(s) << selector << ": " << s.error();
  return s && s->matches(labels);
}

TEST(LabelSelector, EqualityAndSetRequirements) {
  const json labels = {{"app", "tern"}, {"tier", "broker"}, {"zone", "a"}};
  EXPECT_TRUE(matches("", labels));
  EXPECT_TRUE(matches("app=tern", labels));
  EXPECT_TRUE(matches("app==tern, tier = broker", labels));
  EXPECT_FALSE(matches("app=other", labels));
  EXPECT_TRUE(matches("app!=other", labels));
  EXPECT_TRUE(matches("missing!=x", labels));
  EXPECT_TRUE(matches("zone in (a,b)", labels));
  EXPECT_TRUE(matches("zone in(a, b),app", labels));
  EXPECT_FALSE(matches("zone notin (a)", labels));
  EXPECT_TRUE(matches("missing notin (a)", labels));
  EXPECT_TRUE(matches("!missing", labels));
  EXPECT_FALSE(matches("!app", labels));
  EXPECT_FALSE(matches("domain in (x)", labels));
  EXPECT_TRUE(matches("example.com/role notin (x)", labels));
  EXPECT_FALSE(matches("app", json()));
}

TEST(LabelSelector, BadSelectorsAreErrors) {
  EXPECT_FALSE(label_selector::parse("app in (a"));
  EXPECT_FALSE(label_selector::parse("app=bad value!"));
  EXPECT_FALSE(label_selector::parse(",app"));
  EXPECT_FALSE(label_selector::parse("-bad=x"));
}

TEST(LabelSelector, FromObjectRendersLikeTheServer) {
  auto s = label_selector::from_object(json::parse(R"({
      "matchLabels":{"b":"2","a":"1"},
      "matchExpressions":[{"key":"c","operator":"In","values":["y","x"]},
                          {"key":"d","operator":"DoesNotExist"}]})"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->to_string(), "a=1,b=2,c in (x,y),!d");
  EXPECT_TRUE(s->matches(json{{"a", "1"}, {"b", "2"}, {"c", "x"}}));
  EXPECT_FALSE(s->matches(json{{"a", "1"}, {"b", "2"}, {"c", "x"}, {"d", ""}}));
}

TEST(FieldSelector, NamesAndNestedFields) {
  auto s = field_selector::parse("metadata.name=a,status.phase!=Running");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->matches(json{{"metadata", {{"name", "a"}}}, {"status", {{"phase", "Pending"}}}}));
  EXPECT_FALSE(s->matches(json{{"metadata", {{"name", "a"}}}, {"status", {{"phase", "Running"}}}}));
  EXPECT_FALSE(field_selector::parse("metadata.name"));
}

}  // namespace
}  // namespace tern::kube_double
