// Drift detection and repair of owned objects, without a server.
#include "operator/controllers/owned_objects.h"

#include <gtest/gtest.h>

namespace tern::op::controllers {
namespace {

using nlohmann::json;

TEST(ContainsDesired, IgnoresWhatTheServerAddsAndSeesWhatChanged) {
  json desired = {{"spec", {{"ports", {{{"name", "kafka"}, {"port", 9092}}}}}}};
  json live = {{"spec",
                {{"clusterIP", "10.0.0.7"},
                 {"ports", {{{"name", "kafka"}, {"port", 9092}, {"protocol", "TCP"}}}}}}};
  EXPECT_TRUE(contains_desired(live, desired));
  live["spec"]["ports"][0]["port"] = 9093;
  EXPECT_FALSE(contains_desired(live, desired));
  live["spec"]["ports"][0]["port"] = 9092;
  live["spec"]["ports"].push_back({{"name", "extra"}, {"port", 1}});
  EXPECT_FALSE(contains_desired(live, desired)) << "an added list item is drift";
  // An empty map the server leaves out is no difference; a missing value is.
  EXPECT_TRUE(contains_desired(json{{"a", 1}}, json{{"a", 1}, {"labels", json::object()}}));
  EXPECT_FALSE(contains_desired(json{{"a", 1}}, json{{"a", 1}, {"b", "x"}}));
  // 1 and 1.0 are the same number.
  EXPECT_TRUE(contains_desired(json{{"n", 1.0}}, json{{"n", 1}}));
}

TEST(WithDesiredFields, KeepsClusterIpNodePortsAndOtherLabels) {
  json live = {
      {"kind", "Service"},
      {"metadata",
       {{"name", "s"}, {"resourceVersion", "7"}, {"labels", {{"team", "a"}, {"app", "x"}}}}},
      {"spec",
       {{"type", "NodePort"},
        {"clusterIP", "10.0.0.7"},
        {"clusterIPs", {"10.0.0.7"}},
        {"selector", {{"app", "wrong"}}},
        {"ports", {{{"name", "kafka"}, {"port", 9094}, {"nodePort", 31234}}}}}}};
  json desired = {{"kind", "Service"},
                  {"metadata", {{"name", "s"}, {"labels", {{"app", "tern"}}}}},
                  {"spec",
                   {{"type", "NodePort"},
                    {"selector", {{"app", "tern"}}},
                    {"ports", {{{"name", "kafka"}, {"port", 9094}}}}}}};
  json merged = with_desired_fields(live, desired);
  EXPECT_EQ(merged["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(merged["metadata"]["labels"], (json{{"team", "a"}, {"app", "tern"}}));
  EXPECT_EQ(merged["spec"]["clusterIP"], "10.0.0.7");
  EXPECT_EQ(merged["spec"]["selector"], (json{{"app", "tern"}}));
  EXPECT_EQ(merged["spec"]["ports"][0]["nodePort"], 31234);
  EXPECT_TRUE(contains_desired(merged, desired));
}

TEST(WithDesiredFields, ChangesOnlyTheMutablePartsOfAStatefulSet) {
  json live = {{"kind", "StatefulSet"},
               {"metadata", {{"name", "tern"}}},
               {"spec",
                {{"replicas", 3},
                 {"serviceName", "old"},
                 {"template", {{"metadata", {{"annotations", {{"h", "1"}}}}}}}}}};
  json desired = {{"kind", "StatefulSet"},
                  {"metadata", {{"name", "tern"}}},
                  {"spec",
                   {{"replicas", 4},
                    {"serviceName", "new"},
                    {"template", {{"metadata", {{"annotations", {{"h", "2"}}}}}}}}}};
  json merged = with_desired_fields(live, desired);
  EXPECT_EQ(merged["spec"]["replicas"], 4);
  EXPECT_EQ(merged["spec"]["template"]["metadata"]["annotations"]["h"], "2");
  EXPECT_EQ(merged["spec"]["serviceName"], "old");
  EXPECT_EQ(immutable_stateful_set_drift(live, desired), "spec.serviceName");
  live["spec"]["serviceName"] = "new";
  EXPECT_EQ(immutable_stateful_set_drift(live, desired), std::nullopt);
}

TEST(WithDesiredFields, ReplacesConfigMapDataAndOwnerReferences) {
  json live = {{"kind", "ConfigMap"},
               {"metadata", {{"name", "c"}, {"ownerReferences", json::array()}}},
               {"data", {{"broker.yaml", "edited"}, {"extra", "x"}}}};
  json desired = {{"kind", "ConfigMap"},
                  {"metadata", {{"name", "c"}, {"ownerReferences", {{{"uid", "u"}}}}}},
                  {"data", {{"broker.yaml", "built"}}}};
  json merged = with_desired_fields(live, desired);
  EXPECT_EQ(merged["data"], desired["data"]);
  EXPECT_EQ(merged["metadata"]["ownerReferences"], desired["metadata"]["ownerReferences"]);
  EXPECT_FALSE(contains_desired(live, merged));
}

}  // namespace
}  // namespace tern::op::controllers
