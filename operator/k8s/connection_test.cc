// Kubeconfig parsing and in-cluster discovery from temporary files.
#include "operator/k8s/connection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tern::op::k8s {
namespace {

namespace fs = std::filesystem;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tern-k8s-conn-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "certs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const fs::path& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

constexpr const char* kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443/
    certificate-authority: certs/ca.crt
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: dev-token
- name: prod-user
  user:
    tokenFile: prod-token
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: dev-user
    namespace: streaming
- name: prod
  context:
    cluster: prod-cluster
    user: prod-user
)";

TEST_F(ConnectionTest, CurrentContextWithTokenAndRelativeCa) {
  write("certs/ca.crt", "PEM");
  auto path = write("config", kTwoContexts);
  auto c = kubeconfig_connection(path.string());
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server, "https://dev.example:6443");
  EXPECT_EQ(c->token, "dev-token");
  EXPECT_EQ(c->ca_file, (dir_ / "certs" / "ca.crt").string());
  EXPECT_EQ(c->ns, "streaming");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
}

TEST_F(ConnectionTest, NamedContextWithDataAndTokenFile) {
  write("prod-token", "tok\n");
  auto path = write("config", kTwoContexts);
  auto c = kubeconfig_connection(path.string(), "prod");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server, "https://prod.example:443");
  EXPECT_EQ(c->ca_data, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(c->token_file, (dir_ / "prod-token").string());
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->ns, "default");
}

TEST_F(ConnectionTest, ClearErrors) {
  auto path = write("config", kTwoContexts);
  auto missing_ctx = kubeconfig_connection(path.string(), "staging");
  ASSERT_FALSE(missing_ctx);
  EXPECT_NE(missing_ctx.error().find("context \"staging\" not found"), std::string::npos)
      << missing_ctx.error();

  auto missing_ca = kubeconfig_connection(path.string(), "dev");  // certs/ca.crt not written
  ASSERT_FALSE(missing_ca);
  EXPECT_NE(missing_ca.error().find("ca.crt"), std::string::npos) << missing_ca.error();

  auto no_current = write("nocurrent", "apiVersion: v1\nclusters: []\n");
  auto e = kubeconfig_connection(no_current.string());
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("current-context"), std::string::npos) << e.error();

  auto no_cluster = write("nocluster", R"(current-context: x
contexts:
- name: x
  context: {cluster: gone, user: u}
)");
  auto f = kubeconfig_connection(no_cluster.string());
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("cluster \"gone\""), std::string::npos) << f.error();

  auto exec = write("exec", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)");
  auto g = kubeconfig_connection(exec.string());
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().find("exec"), std::string::npos) << g.error();

  auto none = kubeconfig_connection((dir_ / "absent").string());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("absent"), std::string::npos);
}

TEST_F(ConnectionTest, InCluster) {
  write("token", "sa-token\n");
  write("ca.crt", "PEM");
  write("namespace", "tern-system\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = in_cluster_connection(dir_.string());
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->server, "https://10.0.0.1:443");
  EXPECT_EQ(c->token_file, (dir_ / "token").string());
  EXPECT_EQ(c->ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(c->ns, "tern-system");

  fs::remove(dir_ / "token");
  auto no_token = in_cluster_connection(dir_.string());
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().find("token"), std::string::npos);

  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto outside = in_cluster_connection(dir_.string());
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_F(ConnectionTest, ResolveOrder) {
  write("certs/ca.crt", "PEM");
  auto path = write("config", kTwoContexts);
  auto flagged = resolve_connection(path.string());
  ASSERT_TRUE(flagged) << flagged.error();
  EXPECT_EQ(flagged->token, "dev-token");

  const std::string list = (dir_ / "absent").string() + ":" + path.string();
  ::setenv("KUBECONFIG", list.c_str(), 1);
  auto from_env = resolve_connection(std::nullopt);
  ::unsetenv("KUBECONFIG");
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->server, "https://dev.example:6443");

  const char* home = std::getenv("HOME");
  const std::string saved = home ? home : "";
  fs::create_directories(dir_ / "home" / ".kube");
  fs::copy_file(path, dir_ / "home" / ".kube" / "config");
  fs::create_directories(dir_ / "home" / ".kube" / "certs");
  write("home/.kube/certs/ca.crt", "PEM");
  ::setenv("HOME", (dir_ / "home").c_str(), 1);
  auto from_home = resolve_connection(std::nullopt);
  fs::remove(dir_ / "home" / ".kube" / "config");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto nothing = resolve_connection(std::nullopt);  // falls through to in-cluster
  if (home) ::setenv("HOME", saved.c_str(), 1);
  ASSERT_TRUE(from_home) << from_home.error();
  EXPECT_EQ(from_home->ca_file, (dir_ / "home" / ".kube" / "certs" / "ca.crt").string());
  ASSERT_FALSE(nothing);
  EXPECT_NE(nothing.error().find("not running in a cluster"), std::string::npos);
}

}  // namespace
}  // namespace tern::op::k8s
