// Object metadata and condition semantics.
#include "operator/api/meta.h"

#include <gtest/gtest.h>

namespace tern::op::api {
namespace {

using json = nlohmann::json;

TEST(ObjectMeta, ParsesEveryField) {
  json object = {{"metadata",
                  {{"name", "tern"},
                   {"namespace", "kafka"},
                   {"uid", "u-1"},
                   {"resourceVersion", "42"},
                   {"generation", 7},
                   {"labels", {{"a", "b"}}},
                   {"annotations", {{"c", "d"}}},
                   {"finalizers", {"tern.dev/topic"}},
                   {"deletionTimestamp", "2024-01-01T00:00:00Z"},
                   {"creationTimestamp", "2023-01-01T00:00:00Z"}}}};
  auto m = parse_object_meta(object);
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->name, "tern");
  EXPECT_EQ(m->ns, "kafka");
  EXPECT_EQ(m->uid, "u-1");
  EXPECT_EQ(m->resource_version, "42");
  EXPECT_EQ(m->generation, 7);
  EXPECT_EQ(m->labels.at("a"), "b");
  EXPECT_EQ(m->annotations.at("c"), "d");
  EXPECT_TRUE(m->has_finalizer("tern.dev/topic"));
  EXPECT_TRUE(m->being_deleted());
  EXPECT_EQ(m->creation_timestamp, "2023-01-01T00:00:00Z");

  json back = object_meta_to_json(*m);
  EXPECT_EQ(back, object["metadata"]);
}

TEST(ObjectMeta, WrongTypesNameTheirPath) {
  auto m = parse_object_meta({{"metadata", {{"generation", "7"}, {"labels", {{"x", 1}}}}}});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("metadata.generation: expected an integer"), std::string::npos)
      << m.error();
  EXPECT_NE(m.error().find("metadata.labels[x]: expected a string"), std::string::npos)
      << m.error();
}

TEST(ObjectMeta, MissingMetadataIsEmpty) {
  auto m = parse_object_meta(json::object());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->name.empty());
  EXPECT_FALSE(m->being_deleted());
}

condition ready(std::string status, std::string reason = "Reconciled", std::string message = "",
                int64_t generation = 1) {
  return condition{"Ready", std::move(status), std::move(reason), std::move(message),
                   "",      generation};
}

TEST(Conditions, NewConditionGetsNow) {
  std::vector<condition> cs;
  EXPECT_TRUE(set_condition(cs, ready("False", "Creating"), "2024-01-01T00:00:00Z"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].last_transition_time, "2024-01-01T00:00:00Z");
  EXPECT_EQ(cs[0].reason, "Creating");
}

TEST(Conditions, SameStatusKeepsTransitionTime) {
  std::vector<condition> cs;
  set_condition(cs, ready("False", "Creating", "0/3 ready"), "T1");
  // Message changes: an update, but the status did not transition.
  EXPECT_TRUE(set_condition(cs, ready("False", "Creating", "1/3 ready"), "T2"));
  EXPECT_EQ(cs[0].last_transition_time, "T1");
  EXPECT_EQ(cs[0].message, "1/3 ready");
  // Identical: nothing changes, nothing to write.
  EXPECT_FALSE(set_condition(cs, ready("False", "Creating", "1/3 ready"), "T3"));
  EXPECT_EQ(cs[0].last_transition_time, "T1");
  // A transition time carried by the caller does not count when the status stays.
  condition c = ready("False", "Creating", "1/3 ready");
  c.last_transition_time = "T9";
  EXPECT_FALSE(set_condition(cs, c, "T4"));
  EXPECT_EQ(cs[0].last_transition_time, "T1");
}

TEST(Conditions, StatusChangeMovesTransitionTime) {
  std::vector<condition> cs;
  set_condition(cs, ready("False", "Creating"), "T1");
  EXPECT_TRUE(set_condition(cs, ready("True", "Ready"), "T2"));
  EXPECT_EQ(cs[0].status, "True");
  EXPECT_EQ(cs[0].last_transition_time, "T2");
}

TEST(Conditions, ObservedGenerationAloneIsAChange) {
  std::vector<condition> cs;
  set_condition(cs, ready("True", "Ready", "", 1), "T1");
  EXPECT_TRUE(set_condition(cs, ready("True", "Ready", "", 2), "T2"));
  EXPECT_EQ(cs[0].observed_generation, 2);
  EXPECT_EQ(cs[0].last_transition_time, "T1");
}

TEST(Conditions, TypesAreIndependent) {
  std::vector<condition> cs;
  set_condition(cs, ready("True"), "T1");
  set_condition(cs, condition{"Degraded", "False", "AsExpected", "", "", 1}, "T2");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_TRUE(is_condition_true(cs, "Ready"));
  EXPECT_FALSE(is_condition_true(cs, "Degraded"));
  EXPECT_EQ(find_condition(cs, "Degraded")->last_transition_time, "T2");
  EXPECT_EQ(find_condition(cs, "Progressing"), nullptr);
}

TEST(Conditions, JsonRoundTrip) {
  condition c{"Ready", "True", "Ready", "all brokers ready", "2024-01-01T00:00:00Z", 3};
  json j = condition_to_json(c);
  EXPECT_EQ(j["lastTransitionTime"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["observedGeneration"], 3);
  auto back = condition_from_json(j, "status.conditions[0]");
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, c);

  auto list = conditions_from_json(json::array({j, j}), "status.conditions");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);
  auto bad = conditions_from_json(json::array({j, {{"type", 5}}}), "status.conditions");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("status.conditions[1].type: expected a string"), std::string::npos)
      << bad.error();
}

}  // namespace
}  // namespace tern::op::api
