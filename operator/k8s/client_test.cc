// The client against the Kubernetes API test double: CRUD and error mapping, paged lists,
// status subresource, patches, watch streams and bearer-token rotation.
#include "operator/k8s/client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "operator/k8s/test_util.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::k8s {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::config_map;
using testing::connect_to;
using testing::eventually;
namespace fs = std::filesystem;

const std::string kTopicsCrd =
    std::string(TERN_SOURCE_DIR) + "/charts/tern/crds/tern.dev_topics.yaml";

TEST(Client, CrudAndErrorMapping) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  auto created = c.create(resources::config_maps, "default", config_map("a"));
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ((*created)["data"]["k"], "v");
  const std::string rv = (*created)["metadata"]["resourceVersion"];

  auto again = c.create(resources::config_maps, "default", config_map("a"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().status, 409);
  EXPECT_TRUE(again.error().already_exists());
  EXPECT_FALSE(again.error().conflict());

  json changed = *created;
  changed["data"]["k"] = "w";
  auto updated = c.update(resources::config_maps, "default", "a", changed);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv);

  changed["data"]["k"] = "stale";  // still carries the old resourceVersion
  auto stale = c.update(resources::config_maps, "default", "a", changed);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(stale.error().conflict());
  EXPECT_EQ(stale.error().reason, "Conflict");

  auto got = c.get(resources::config_maps, "default", "a");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["data"]["k"], "w");

  auto missing = c.get(resources::config_maps, "default", "nope");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().not_found());
  EXPECT_EQ(missing.error().reason, "NotFound");

  ASSERT_TRUE(c.remove(resources::config_maps, "default", "a"));
  auto removed_again = c.remove(resources::config_maps, "default", "a");
  ASSERT_FALSE(removed_again);
  EXPECT_TRUE(removed_again.error().not_found());
  EXPECT_FALSE(api.get("/api/v1/namespaces/default/configmaps/a"));
}

TEST(Client, InjectedFailureAndTransportError) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  api.fail_next("GET", "/configmaps/x", 503);
  auto r = c.get(resources::config_maps, "default", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 503);

  connection dead;
  dead.server = "http://127.0.0.1:1";  // nothing listens there
  client d(dead);
  auto t = d.get(resources::config_maps, "default", "x");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().status, 0);
  EXPECT_FALSE(t.error().message.empty());
}

TEST(Client, ListFollowsPages) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(c.create(resources::config_maps, "default",
                         config_map("m" + std::to_string(i), {{"k", "v"}}, {{"app", "x"}})));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("other")));
  c.set_page_size(2);
  api.clear_requests();
  auto listed = c.list(resources::config_maps, "default", "app=x");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ((*listed)["items"].size(), 7u);
  EXPECT_FALSE((*listed)["metadata"].value("resourceVersion", "").empty());
  EXPECT_FALSE((*listed)["metadata"].contains("continue"));
  EXPECT_EQ((*listed)["kind"], "ConfigMapList");
  int pages = 0;
  for (const auto& rec : api.requests())
    if (rec.method == "GET" && rec.target.find("/configmaps") != std::string::npos) ++pages;
  EXPECT_EQ(pages, 4);  // 2 + 2 + 2 + 1

  auto all = c.list(resources::config_maps, "");
  ASSERT_TRUE(all);
  EXPECT_GE((*all)["items"].size(), 8u);
}

TEST(Client, StatusSubresource) {
  kube_double::kube_api_double api;
  ASSERT_TRUE(api.load_crds(kTopicsCrd));
  client c(connect_to(api));
  json topic = {{"apiVersion", "tern.dev/v1alpha1"},
                {"kind", "Topic"},
                {"metadata", {{"name", "events"}}},
                {"spec", {{"clusterRef", {{"name", "c1"}}}, {"partitions", 3}}}};
  auto created = c.create(resources::topics, "default", topic);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ((*created)["spec"]["replicationFactor"], 3);  // the CRD's default

  json with_status = *created;
  with_status["status"] = {{"observedGeneration", 1}};
  with_status["spec"]["partitions"] = 9;  // ignored by a status write
  auto st = c.update(resources::topics, "default", "events", with_status, "status");
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ((*st)["status"]["observedGeneration"], 1);
  EXPECT_EQ((*st)["spec"]["partitions"], 3);

  json main = *st;
  main["status"]["observedGeneration"] = 7;  // ignored by a main-resource write
  main["spec"]["partitions"] = 4;
  auto m = c.update(resources::topics, "default", "events", main);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ((*m)["spec"]["partitions"], 4);
  EXPECT_EQ((*m)["status"]["observedGeneration"], 1);
  EXPECT_EQ((*m)["metadata"]["generation"], 2);
}

TEST(Client, MergeAndJsonPatch) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  ASSERT_TRUE(
      c.create(resources::config_maps, "default", config_map("p", {{"a", "1"}, {"b", "2"}})));
  auto merged = c.patch(resources::config_maps, "default", "p",
                        {{"data", {{"a", nullptr}, {"c", "3"}}}}, patch_type::merge);
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_FALSE((*merged)["data"].contains("a"));
  EXPECT_EQ((*merged)["data"]["c"], "3");

  auto patched = c.patch(resources::config_maps, "default", "p",
                         json::array({{{"op", "replace"}, {"path", "/data/b"}, {"value", "20"}},
                                      {{"op", "add"}, {"path", "/data/d"}, {"value", "4"}}}),
                         patch_type::json);
  ASSERT_TRUE(patched) << patched.error().to_string();
  EXPECT_EQ((*patched)["data"]["b"], "20");
  EXPECT_EQ((*patched)["data"]["d"], "4");

  auto failed_test = c.patch(resources::config_maps, "default", "p",
                             json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "no"}}}),
                             patch_type::json);
  EXPECT_FALSE(failed_test);

  auto missing = c.patch(resources::config_maps, "default", "nope", {{"data", {{"x", "y"}}}},
                         patch_type::merge);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().not_found());
}

using event_t = std::pair<std::string, std::string>;  // type, name

struct recorded {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> events;  // type, name
  size_t count() {
    std::lock_guard l(mu);
    return events.size();
  }
};

TEST(Client, WatchDeliversEventsAndStopsPromptly) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("before")));
  auto listed = c.list(resources::config_maps, "default");
  ASSERT_TRUE(listed);
  const std::string rv = (*listed)["metadata"]["resourceVersion"];

  recorded rec;
  std::stop_source stop;
  watch_end end{};
  std::jthread watcher([&] {
    end = c.watch(
        resources::config_maps, "default", rv, "", 60,
        [&](std::string_view type, const json& object) {
          if (type == "BOOKMARK") return;
          std::lock_guard l(rec.mu);
          rec.events.emplace_back(std::string(type), object["metadata"]["name"]);
        },
        stop.get_token());
  });
  ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
  auto a = c.create(resources::config_maps, "default", config_map("w"));
  ASSERT_TRUE(a);
  ASSERT_TRUE(
      c.patch(resources::config_maps, "default", "w", {{"data", {{"k", "2"}}}}, patch_type::merge));
  ASSERT_TRUE(c.remove(resources::config_maps, "default", "w"));
  ASSERT_TRUE(eventually([&] { return rec.count() >= 3; }));
  {
    std::lock_guard l(rec.mu);
    ASSERT_EQ(rec.events.size(), 3u);  // "before" is older than rv: not replayed
    EXPECT_EQ(rec.events[0], event_t("ADDED", "w"));
    EXPECT_EQ(rec.events[1], event_t("MODIFIED", "w"));
    EXPECT_EQ(rec.events[2], event_t("DELETED", "w"));
  }
  const auto asked = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 500ms);
  EXPECT_EQ(end, watch_end::stopped);
}

TEST(Client, WatchPassesBookmarksAndEndsOnTimeout) {
  kube_double::kube_api_double_options o;
  o.bookmark_interval = 100ms;
  kube_double::kube_api_double api(o);
  client c(connect_to(api));
  auto listed = c.list(resources::config_maps, "default");
  ASSERT_TRUE(listed);
  int bookmarks = 0;
  const auto end = c.watch(
      resources::config_maps, "default",
      (*listed)["metadata"]["resourceVersion"].get<std::string>(), "", 1,
      [&](std::string_view type, const json& object) {
        if (type == "BOOKMARK") {
          ++bookmarks;
          EXPECT_FALSE(object["metadata"].value("resourceVersion", "").empty());
        }
      },
      std::stop_token{});
  EXPECT_EQ(end, watch_end::closed);
  EXPECT_GE(bookmarks, 1);
}

TEST(Client, WatchFromCompactedVersionIsGone) {
  kube_double::kube_api_double api;
  client c(connect_to(api));
  auto a = c.create(resources::config_maps, "default", config_map("a"));
  ASSERT_TRUE(a);
  const std::string old_rv = (*a)["metadata"]["resourceVersion"];
  ASSERT_TRUE(c.create(resources::config_maps, "default", config_map("b")));
  api.compact_history();
  const auto end = c.watch(
      resources::config_maps, "default", old_rv, "", 5, [](std::string_view, const json&) {},
      std::stop_token{});
  EXPECT_EQ(end, watch_end::gone);
}

TEST(Client, BearerTokenFileRotation) {
  kube_double::kube_api_double_options o;
  o.bearer_token = "first";
  kube_double::kube_api_double api(o);
  const fs::path dir = fs::temp_directory_path() / ("tern-k8s-token-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "token";
  auto write = [&](const std::string& t) { std::ofstream(file, std::ios::trunc) << t << "\n"; };
  write("first");
  connection conn = connect_to(api);
  conn.token_file = file.string();
  client c(conn);
  ASSERT_TRUE(c.get(resources::config_maps, "default", "x").error().not_found());

  // The kubelet rewrites the file: a changed mtime is noticed before the next request.
  api.set_bearer_token("second");
  const auto old_mtime = fs::last_write_time(file);
  write("second");
  fs::last_write_time(file, old_mtime + 2s);
  ASSERT_TRUE(c.get(resources::config_maps, "default", "x").error().not_found());

  // A rotation the mtime does not show (and within the minute): only the retry after the 401
  // (which the double does not record) reads the file again.
  api.set_bearer_token("third");
  const auto mtime = fs::last_write_time(file);
  write("third");
  fs::last_write_time(file, mtime);
  auto r = c.get(resources::config_maps, "default", "x");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().not_found()) << r.error().to_string();

  // The watch takes the same path.
  api.set_bearer_token("fourth");
  write("fourth");
  fs::last_write_time(file, mtime);
  auto end = c.watch(
      resources::config_maps, "default", "", "", 1, [](std::string_view, const json&) {},
      std::stop_token{});
  EXPECT_EQ(end, watch_end::closed);

  // A static token that is wrong is reported as 401.
  connection wrong = connect_to(api);
  wrong.token = "nope";
  client w(wrong);
  auto denied = w.get(resources::config_maps, "default", "x");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().status, 401);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tern::op::k8s
