// Structural schema defaulting, pruning and validation in isolation.
#include "operator/testing/kube_api_double_schema.h"

#include <gtest/gtest.h>

namespace tern::kube_double {
namespace {

structural_schema schema(const char* text) {
  return structural_schema(json::parse(text));
}

TEST(StructuralSchema, NullsOfNonNullableFieldsAreDefaultedOrDropped) {
  auto s = schema(R"({"type":"object","properties":{
      "a":{"type":"string","default":"x"},
      "b":{"type":"string"},
      "c":{"type":"string","nullable":true}}})");
  json o = {{"a", nullptr}, {"b", nullptr}, {"c", nullptr}};
  s.default_and_prune(o);
  EXPECT_EQ(o, (json{{"a", "x"}, {"c", nullptr}}));
}

TEST(StructuralSchema, DefaultsReachIntoArraysAndMaps) {
  auto s = schema(R"({"type":"object","properties":{
      "list":{"type":"array","items":{"type":"object","properties":{"p":{"type":"integer","default":1}}}},
      "map":{"type":"object","additionalProperties":{"type":"object","properties":{"q":{"type":"boolean","default":true}}}}}})");
  json o = {{"list", json::array({json::object(), {{"p", 5}}})}, {"map", {{"k", json::object()}}}};
  s.default_and_prune(o);
  EXPECT_EQ(o["list"][0]["p"], 1);
  EXPECT_EQ(o["list"][1]["p"], 5);
  EXPECT_EQ(o["map"]["k"]["q"], true);
}

TEST(StructuralSchema, PruningKeepsEmbeddedResourcesAndPreservedFields) {
  auto s = schema(R"({"type":"object","properties":{
      "spec":{"type":"object","properties":{
        "template":{"type":"object","x-kubernetes-embedded-resource":true,
                    "properties":{"spec":{"type":"object"}}},
        "anything":{"x-kubernetes-preserve-unknown-fields":true}}}}})");
  json o = {{"apiVersion", "v1"},
            {"spec",
             {{"template",
               {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "p"}, {"bogus", 1}}},
                {"junk", 1}}},
              {"anything", {{"deep", {{"er", 1}}}}},
              {"drop", 1}}}};
  s.default_and_prune(o);
  EXPECT_EQ(o["apiVersion"], "v1");
  EXPECT_EQ(o["spec"]["template"]["kind"], "Pod");
  EXPECT_FALSE(o["spec"]["template"].contains("junk"));
  EXPECT_FALSE(o["spec"]["template"]["metadata"].contains("bogus"));
  EXPECT_EQ(o["spec"]["anything"]["deep"]["er"], 1);
  EXPECT_FALSE(o["spec"].contains("drop"));
}

TEST(StructuralSchema, ValidationMessagesFollowTheApiServer) {
  auto s = schema(R"({"type":"object","properties":{"spec":{"type":"object","required":["name"],
      "properties":{
        "name":{"type":"string","maxLength":3},
        "count":{"type":"integer","minimum":1,"exclusiveMinimum":true},
        "ratio":{"type":"number","multipleOf":0.5},
        "port":{"x-kubernetes-int-or-string":true},
        "items":{"type":"array","minItems":1,"x-kubernetes-list-type":"set","items":{"type":"string"}},
        "mode":{"type":"string","pattern":"^(a|b)$"}}}}})");
  json o = {{"spec",
             {{"count", 1},
              {"ratio", 0.3},
              {"port", true},
              {"items", json::array({"x", "x"})},
              {"mode", "c"}}}};
  auto errs = s.validate(o);
  std::map<std::string, std::string> by_field;
  for (const auto& e : errs) by_field[e.field] = e.body();
  EXPECT_EQ(by_field["spec.name"], "Required value");
  EXPECT_EQ(by_field["spec.count"],
            "Invalid value: 1: spec.count in body should be greater than 1");
  EXPECT_EQ(by_field["spec.ratio"],
            "Invalid value: 0.3: spec.ratio in body should be a multiple of 0.5");
  EXPECT_EQ(
      by_field["spec.port"],
      "Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"");
  EXPECT_EQ(by_field["spec.items[1]"], "Duplicate value: \"x\"");
  EXPECT_EQ(by_field["spec.mode"],
            "Invalid value: \"c\": spec.mode in body should match '^(a|b)$'");

  json long_name = {{"spec", {{"name", "abcd"}}}};
  auto too_long = s.validate(long_name);
  ASSERT_EQ(too_long.size(), 1u);
  EXPECT_EQ(too_long[0].reason(), "FieldValueTooLong");
  EXPECT_EQ(s.validate(json{{"spec", {{"name", "ab"}, {"port", "http"}}}}).size(), 0u);
}

TEST(StructuralSchema, CombinatorsValidate) {
  auto s = schema(R"({"type":"object","properties":{"v":{
      "anyOf":[{"type":"integer"},{"type":"string"}],
      "not":{"enum":[0]}}}})");
  EXPECT_TRUE(s.validate(json{{"v", 3}}).empty());
  EXPECT_TRUE(s.validate(json{{"v", "x"}}).empty());
  EXPECT_EQ(s.validate(json{{"v", true}}).size(), 1u);
  EXPECT_EQ(s.validate(json{{"v", 0}}).size(), 1u);
}

}  // namespace
}  // namespace tern::kube_double
