// Paths and API versions of resources, and the RFC 3339 helpers.
#include "operator/k8s/resource.h"

#include <gtest/gtest.h>

#include "operator/k8s/rfc3339.h"

namespace tern::op::k8s {
namespace {

TEST(Resource, CorePaths) {
  EXPECT_EQ(resources::pods.api_version(), "v1");
  EXPECT_EQ(resources::pods.path("ns", "p", "status"), "/api/v1/namespaces/ns/pods/p/status");
  EXPECT_EQ(resources::config_maps.path("ns"), "/api/v1/namespaces/ns/configmaps");
  EXPECT_EQ(resources::config_maps.path(""), "/api/v1/configmaps");
}

TEST(Resource, GroupAndClusterScopedPaths) {
  EXPECT_EQ(resources::stateful_sets.api_version(), "apps/v1");
  EXPECT_EQ(resources::topics.path("a", "t"), "/apis/tern.dev/v1alpha1/namespaces/a/topics/t");
  EXPECT_EQ(resources::leases.path("kube-system", "l"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l");
  EXPECT_EQ(resources::nodes.path("ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(resources::custom_resource_definitions.path("", "topics.tern.dev"),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/topics.tern.dev");
  EXPECT_EQ(resources::service_monitors.api_version(), "monitoring.coreos.com/v1");
  EXPECT_EQ(resources::pod_disruption_budgets.path("x"),
            "/apis/policy/v1/namespaces/x/poddisruptionbudgets");
}

TEST(Rfc3339, Formats) {
  using namespace std::chrono;
  const auto t =
      sys_days{year{2024} / 2 / 29} + hours{13} + minutes{5} + seconds{7} + microseconds{42};
  EXPECT_EQ(to_rfc3339(t), "2024-02-29T13:05:07Z");
  EXPECT_EQ(to_rfc3339_micro(t), "2024-02-29T13:05:07.000042Z");
  EXPECT_EQ(now_rfc3339().size(), 20u);
  EXPECT_EQ(now_rfc3339_micro().size(), 27u);
}

}  // namespace
}  // namespace tern::op::k8s
