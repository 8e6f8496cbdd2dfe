// tern-operator as users run it: a process with a kubeconfig, two replicas electing a leader
// through a Lease, /healthz, /readyz and /metrics; the API server is the tern-kube-double
// process.
#include <gtest/gtest.h>

#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/http_client.h>

#include <fstream>
#include <regex>

#include "operator/controllers/testing/local_processes.h"
#include "operator/controllers/testing/operator_env.h"
#include "operator/k8s/client.h"
#include "operator/k8s/resource.h"

namespace tern::op::testing {
namespace {

namespace res = k8s::resources;
using namespace std::chrono_literals;

struct http_answer {
  int status = 0;
  std::string body;
};

http_answer http_get(const std::string& url) {
  try {
    web::http::client::http_client client(url);
    auto r = client.request(web::http::methods::GET).get();
    return {r.status_code(), r.extract_utf8string(true).get()};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

json cluster_object(const std::string& name) {
  return {{"apiVersion", "tern.dev/v1alpha1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}}},
          {"spec", {{"replicas", 1}, {"metadataStore", {{"type", "embedded"}}}}}};
}

class OperatorProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owned_dir_ = temp_dir("tern-operator-process");
    dir_ = owned_dir_.path();
    api_server_ = child_process(
        {TERN_KUBE_DOUBLE_BIN, "--crd",
         std::string(TERN_SOURCE_DIR) + "/charts/tern/crds/tern.dev_clusters.yaml", "--crd",
         std::string(TERN_SOURCE_DIR) + "/charts/tern/crds/tern.dev_topics.yaml"},
        dir_ + "/kube-double.log");
    const auto log = api_server_.wait_for_log("tern-kube-double ready: ", 20s);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(ready: (http://\S+))")));
    server_ = m[1];
    std::ofstream(dir_ + "/kubeconfig")
        << "apiVersion: v1\nkind: Config\n"
        << "clusters:\n- name: double\n  cluster:\n    server: " << server_ << "\n"
        << "users:\n- name: tester\n  user: {}\n"
        << "contexts:\n- name: test\n  context:\n"
        << "    cluster: double\n    user: tester\n"
        << "    namespace: default\n"
        << "current-context: test\n";
    k8s::connection c;
    c.server = server_;
    c.ns = "default";
    api_ = std::make_unique<k8s::client>(c);
  }

  child_process start_operator(const std::string& name, uint16_t metrics_port) {
    return child_process(
        {TERN_OPERATOR_BIN, "--kubeconfig", dir_ + "/kubeconfig", "--metrics-addr",
         "127.0.0.1:" + std::to_string(metrics_port), "--leader-elect",
         "--leader-election-namespace", "default", "--leader-elect-lease-duration", "3",
         "--leader-elect-renew-deadline", "2", "--leader-elect-retry-period", "0.3"},
        dir_ + "/" + name + ".log");
  }

  std::string lease_holder() {
    auto lease = api_->get(res::leases, "default", "tern-operator");
    return lease ? (*lease)["spec"].value("holderIdentity", "") : "";
  }

  temp_dir owned_dir_;  // declared first, so removed after the processes have stopped
  std::string dir_, server_;
  child_process api_server_;
  std::unique_ptr<k8s::client> api_;
};

TEST_F(OperatorProcessTest, AStandbyTakesOverWhenTheLeaderDies) {
  const uint16_t port_a = free_port(), port_b = free_port();
  auto a = start_operator("a", port_a);
  a.wait_for_log("leading as", 20s);
  auto b = start_operator("b", port_b);
  b.wait_for_log("tern-operator ready", 20s);
  const std::string first = lease_holder();
  EXPECT_TRUE(first.ends_with("_" + std::to_string(a.pid()))) << first;

  const std::string metrics_a = "http://127.0.0.1:" + std::to_string(port_a);
  const std::string metrics_b = "http://127.0.0.1:" + std::to_string(port_b);
  EXPECT_EQ(http_get(metrics_a + "/healthz").status, 200);
  EXPECT_TRUE(eventually([&] { return http_get(metrics_a + "/readyz").status == 200; }));
  EXPECT_EQ(http_get(metrics_b + "/readyz").status, 200) << "a standby is ready";
  EXPECT_NE(http_get(metrics_b + "/metrics").body.find("tern_operator_leader 0"),
            std::string::npos);

  ASSERT_TRUE(api_->create(res::clusters, "default", cluster_object("first")));
  EXPECT_TRUE(
      eventually([&] { return api_->get(res::stateful_sets, "default", "first").has_value(); }));
  EXPECT_TRUE(eventually([&] {
    return http_get(metrics_a + "/metrics")
               .body.find("tern_operator_reconcile_total{controller=\"cluster\"") !=
           std::string::npos;
  }));
  EXPECT_EQ(b.log().find("leading as"), std::string::npos) << "two leaders";

  // The leader dies without releasing the Lease: the standby waits for it to expire.
  a.kill();
  b.wait_for_log("leading as", 30s);
  EXPECT_NE(lease_holder(), first);
  ASSERT_TRUE(api_->create(res::clusters, "default", cluster_object("second")));
  EXPECT_TRUE(
      eventually([&] { return api_->get(res::stateful_sets, "default", "second").has_value(); }));
  EXPECT_NE(http_get(metrics_b + "/metrics").body.find("tern_operator_leader 1"),
            std::string::npos);

  // A clean stop releases the Lease at once.
  b.stop();
  EXPECT_NE(b.log().find("tern-operator stopped"), std::string::npos) << b.log();
  EXPECT_EQ(lease_holder(), "");
}

TEST_F(OperatorProcessTest, AMissingKubeconfigIsAClearError) {
  child_process p({TERN_OPERATOR_BIN, "--kubeconfig", dir_ + "/missing"}, dir_ + "/missing.log");
  EXPECT_TRUE(eventually([&] { return !p.running(); }));
  EXPECT_NE(p.log().find("cannot reach the Kubernetes API"), std::string::npos) << p.log();
  EXPECT_NE(p.log().find(dir_ + "/missing"), std::string::npos) << p.log();
}

}  // namespace
}  // namespace tern::op::testing
