// The informer against the test double: cache and handler follow changes, survive dropped
// watches (resume from the last resourceVersion) and 410 Gone (re-list, report deletions).
#include "operator/k8s/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "operator/k8s/test_util.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::k8s {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::config_map;
using testing::connect_to;
using testing::eventually;

constexpr const char* kConfigMaps = "/api/v1/namespaces/default/configmaps";

struct change_log {
  std::mutex mu;
  std::multiset<std::string> names;
  void add(const std::string& ns, const std::string& name) {
    std::lock_guard l(mu);
    names.insert(ns + "/" + name);
  }
  size_t count(const std::string& key) {
    std::lock_guard l(mu);
    return names.count(key);
  }
};

int list_requests(kube_double::kube_api_double& api) {
  int n = 0;
  for (const auto& r : api.requests())
    if (r.method == "GET" && r.target.find("/configmaps") != std::string::npos &&
        r.target.find("watch=") == std::string::npos)
      ++n;
  return n;
}

TEST(Informer, CacheAndHandlerFollowChanges) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("a")));
  ASSERT_TRUE(c.create(resources::config_maps, "kube-system", config_map("elsewhere")));
  informer inf(c, resources::config_maps, "default");
  change_log log;
  inf.on_change([&](const std::string& ns, const std::string& name) {
    log.add(ns, name);
    if (name == "b") {
      // The cache holds the change by the time the handler runs.
      EXPECT_EQ(inf.get(ns, name).has_value(), log.count("default/b-deleted") == 0);
    }
  });
  EXPECT_FALSE(inf.synced());
  inf.start();
  ASSERT_TRUE(eventually([&] { return inf.synced(); }));
  EXPECT_EQ(log.count("default/a"), 1u);
  ASSERT_TRUE(inf.get("default", "a"));
  EXPECT_FALSE(inf.get("kube-system", "elsewhere"));
  EXPECT_EQ(inf.list().size(), 1u);

  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("b")));
  ASSERT_TRUE(c.patch(resources::config_maps, "default", "a", {{"data", {{"k", "new"}}}},
                      patch_type::merge));
  ASSERT_TRUE(eventually([&] {
    auto a = inf.get("default", "a");
    return inf.get("default", "b") && a && (*a)["data"]["k"] == "new";
  }));
  EXPECT_EQ(log.count("default/a"), 2u);
  EXPECT_EQ(log.count("default/b"), 1u);

  {
    std::lock_guard l(log.mu);
    log.names.insert("default/b-deleted");
  }
  ASSERT_TRUE(c.remove(resources::config_maps, "default", "b"));
  ASSERT_TRUE(eventually([&] { return !inf.get("default", "b"); }));
  EXPECT_TRUE(eventually([&] { return log.count("default/b") == 2; }));
  EXPECT_EQ(inf.list("default").size(), 1u);

  const auto asked = std::chrono::steady_clock::now();
  inf.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
}

TEST(Informer, LabelSelectorAndAllNamespaces) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  ASSERT_TRUE(c.create(resources::config_maps, "default",
                       config_map("mine", {{"k", "v"}}, {{"app", "tern"}})));
  ASSERT_TRUE(c.create(resources::config_maps, "kube-system",
                       config_map("mine-too", {{"k", "v"}}, {{"app", "tern"}})));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("theirs")));
  informer inf(c, resources::config_maps, "", "app=tern");
  inf.start();
  ASSERT_TRUE(eventually([&] { return inf.synced(); }));
  EXPECT_EQ(inf.list().size(), 2u);
  EXPECT_TRUE(inf.get("kube-system", "mine-too"));
  EXPECT_FALSE(inf.get("default", "theirs"));
  EXPECT_EQ(inf.list("kube-system").size(), 1u);
  // Losing the label reads as a deletion.
  ASSERT_TRUE(c.patch(resources::config_maps, "default", "mine",
                      {{"metadata", {{"labels", {{"app", nullptr}}}}}}, patch_type::merge));
  EXPECT_TRUE(eventually([&] { return !inf.get("default", "mine"); }));
}

TEST(Informer, SurvivesDroppedWatchWithoutLosingEvents) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  informer inf(c, resources::config_maps, "default");
  std::atomic<int> restarts{0};
  inf.on_watch_restart([&] { ++restarts; });
  change_log log;
  inf.on_change([&](const std::string& ns, const std::string& name) { log.add(ns, name); });
  inf.start();
  ASSERT_TRUE(eventually([&] { return inf.synced() && api.open_watches() == 1; }));

  // Changes made while the stream is down are replayed from the last resourceVersion.
  api.fail_next("GET", "watch=1", 503);
  api.drop_watches();
  api.request("POST", kConfigMaps, config_map("while-down"));
  ASSERT_TRUE(eventually([&] { return inf.get("default", "while-down").has_value(); }));
  EXPECT_GE(restarts.load(), 1);
  EXPECT_EQ(log.count("default/while-down"), 1u);
  EXPECT_EQ(list_requests(api), 1);  // resumed, not re-listed

  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("after")));
  EXPECT_TRUE(eventually([&] { return inf.get("default", "after").has_value(); }));
}

TEST(Informer, RelistsAfterGoneAndReportsDeletionsMissed) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("doomed")));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("kept")));
  informer inf(c, resources::config_maps, "default");
  std::atomic<int> restarts{0};
  inf.on_watch_restart([&] { ++restarts; });
  change_log log;
  inf.on_change([&](const std::string& ns, const std::string& name) { log.add(ns, name); });
  inf.start();
  ASSERT_TRUE(eventually([&] { return inf.synced() && api.open_watches() == 1; }));
  ASSERT_EQ(log.count("default/doomed"), 1u);

  // Keep the informer off the air while an object goes and the history is compacted.
  for (int i = 0; i < 3; ++i) api.fail_next("GET", "watch=1", 503);
  api.drop_watches();
  api.request("DELETE", kConfigMaps + std::string("/doomed"));
  api.request("POST", kConfigMaps, config_map("born"));
  api.compact_history();

  ASSERT_TRUE(eventually(
      [&] { return !inf.get("default", "doomed") && inf.get("default", "born").has_value(); }));
  EXPECT_EQ(log.count("default/doomed"), 2u);  // the deletion is reported
  EXPECT_GE(log.count("default/kept"), 2u);    // every object is reported after a re-list
  EXPECT_EQ(list_requests(api), 2);
  EXPECT_GE(restarts.load(), 1);
  EXPECT_EQ(inf.list().size(), 2u);
}

}  // namespace
}  // namespace tern::op::k8s
