// The double over real HTTP: each test drives one part of the API's semantics the way the
// operator's client will, and checks what the real API server would answer.
#include "operator/testing/kube_api_double.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "operator/testing/kube_api_double_object.h"
#include "operator/testing/kube_api_double_test_client.h"

namespace tern::kube_double {
namespace {

using namespace std::chrono_literals;
using test::http_call;
using test::http_result;
using test::watch_reader;

const std::string kCrds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const std::string kConfigMaps = "/api/v1/namespaces/default/configmaps";
const std::string kWidgets = "/apis/test.tern.dev/v1/namespaces/default/widgets";
const std::string kStatefulSets = "/apis/apps/v1/namespaces/default/statefulsets";

const char* kWidgetCrd = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.tern.dev
spec:
  group: test.tern.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [tern]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer, default: 3, minimum: 0, maximum: 10}
              size: {type: string, enum: [small, large], default: small}
              name: {type: string, minLength: 1, maxLength: 10, pattern: '^[a-z]+$'}
              tags: {type: array, maxItems: 3, items: {type: string}}
              config: {type: object, additionalProperties: {type: string}}
              storage:
                type: object
                default: {}
                properties:
                  size: {type: string, default: 1Gi}
                  className: {type: string}
              extra:
                type: object
                properties:
                  mode: {type: string, default: fast}
              listeners:
                type: array
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer, default: 9092}
              free:
                type: object
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas: {type: integer}
              observedGeneration: {type: integer}
              selector: {type: string}
              phase: {type: string}
)";

json widget_crd() {
  return parse_yaml_documents(kWidgetCrd).at(0);
}

json widget(const std::string& name, json spec = json::object()) {
  return {{"apiVersion", "test.tern.dev/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

json config_map(const std::string& name, json labels = nullptr) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}}},
             {"data", {{"k", "v"}}}};
  if (!labels.is_null()) cm["metadata"]["labels"] = labels;
  return cm;
}

json stateful_set(const std::string& name) {
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"serviceName", name},
        {"selector", {{"matchLabels", {{"app", name}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", name}}}}},
          {"spec", {{"containers", json::array({{{"name", "broker"}, {"image", "tern:1"}}})}}}}}}}};
}

json owner_ref(const json& owner, bool block = false) {
  json ref = {{"apiVersion", owner["apiVersion"]},
              {"kind", owner["kind"]},
              {"name", owner["metadata"]["name"]},
              {"uid", owner["metadata"]["uid"]}};
  if (block) ref["blockOwnerDeletion"] = true;
  return ref;
}

std::string rv_of(const json& object) {
  return object["metadata"]["resourceVersion"];
}

// The smallest value a schema accepts: required properties only, first enum values, minimums.
json minimal_value(const json& schema, const std::set<std::string>& skip = {}) {
  if (schema.contains("enum")) return schema["enum"][0];
  const std::string type = schema.value("type", "object");
  if (type == "object") {
    json out = json::object();
    for (const auto& r : schema.value("required", json::array())) {
      const std::string key = r.get<std::string>();
      if (!skip.count(key)) out[key] = minimal_value(schema["properties"][key]);
    }
    return out;
  }
  if (type == "array") {
    json out = json::array();
    for (int i = 0; i < schema.value("minItems", 0); ++i)
      out.push_back(minimal_value(schema["items"]));
    return out;
  }
  if (type == "integer" || type == "number") return std::max(1, schema.value("minimum", 1));
  if (type == "boolean") return false;
  std::string s = "tern";
  while (s.size() < schema.value("minLength", 0u)) s += "x";
  return s;
}

class KubeApiDouble : public ::testing::Test {
 protected:
  void SetUp() override {
    kube_api_double_options options;
    options.bookmark_interval = 200ms;
    api_ = std::make_unique<kube_api_double>(options);
  }

  http_result call(const std::string& method, const std::string& target, const json& body = nullptr,
                   const std::string& content_type = "application/json") {
    return http_call(api_->port(), method, target, body, content_type);
  }

  json create(const std::string& collection, const json& body) {
    auto r = call("POST", collection, body);
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body;
  }

  void add_widget_crd() {
    auto r = call("POST", kCrds, widget_crd());
    ASSERT_EQ(r.status, 201) << r.text;
  }

  template <class F>
  bool eventually(F&& condition, std::chrono::milliseconds timeout = 3s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (condition()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return condition();
  }

  bool gone(const std::string& path) {
    return eventually([&] { return call("GET", path).status == 404; });
  }

  std::unique_ptr<kube_api_double> api_;
};

void expect_status(const http_result& r, int code, const std::string& reason) {
  EXPECT_EQ(r.status, code) << r.text;
  EXPECT_EQ(r.body.value("kind", ""), "Status") << r.text;
  EXPECT_EQ(r.body.value("apiVersion", ""), "v1");
  EXPECT_EQ(r.body.value("status", ""), "Failure");
  EXPECT_EQ(r.body.value("reason", ""), reason) << r.text;
  EXPECT_EQ(r.body.value("code", 0), code);
}

// ---- discovery -------------------------------------------------------------------------------

TEST_F(KubeApiDouble, DiscoveryListsBuiltInGroupsAndCustomResourcesOnceTheirCrdExists) {
  auto api = call("GET", "/api");
  ASSERT_EQ(api.status, 200);
  EXPECT_EQ(api.body["versions"], json::array({"v1"}));
  auto groups = call("GET", "/apis");
  std::set<std::string> names;
  for (const auto& g : groups.body["groups"]) names.insert(g["name"]);
  for (const char* g :
       {"apps", "policy", "coordination.k8s.io", "events.k8s.io", "apiextensions.k8s.io"})
    EXPECT_TRUE(names.count(g)) << g;
  EXPECT_FALSE(names.count("test.tern.dev"));
  EXPECT_FALSE(names.count("monitoring.coreos.com"));

  auto apps = call("GET", "/apis/apps/v1");
  ASSERT_EQ(apps.status, 200);
  std::set<std::string> resources;
  for (const auto& r : apps.body["resources"]) resources.insert(r["name"]);
  EXPECT_TRUE(resources.count("statefulsets"));
  EXPECT_TRUE(resources.count("statefulsets/status"));
  EXPECT_TRUE(resources.count("statefulsets/scale"));

  expect_status(call("GET", "/apis/test.tern.dev/v1"), 404, "NotFound");
  expect_status(call("GET", kWidgets), 404, "NotFound");
  add_widget_crd();
  auto widgets = call("GET", "/apis/test.tern.dev/v1");
  ASSERT_EQ(widgets.status, 200) << widgets.text;
  resources.clear();
  for (const auto& r : widgets.body["resources"]) resources.insert(r["name"]);
  EXPECT_EQ(resources, (std::set<std::string>{"widgets", "widgets/status", "widgets/scale"}));
  EXPECT_EQ(call("GET", kWidgets).status, 200);
  auto crd = call("GET", kCrds + "/widgets.test.tern.dev");
  bool established = false;
  for (const auto& c : crd.body["status"]["conditions"])
    if (c["type"] == "Established" && c["status"] == "True") established = true;
  EXPECT_TRUE(established) << crd.text;
}

TEST_F(KubeApiDouble, ServiceMonitorIsServedOnlyWhenItsCrdIsCreated) {
  const std::string monitors = "/apis/monitoring.coreos.com/v1/namespaces/default/servicemonitors";
  json sm = {{"apiVersion", "monitoring.coreos.com/v1"},
             {"kind", "ServiceMonitor"},
             {"metadata", {{"name", "tern"}}},
             {"spec", {{"endpoints", json::array({{{"port", "metrics"}}})}}}};
  auto absent = call("POST", monitors, sm);
  expect_status(absent, 404, "NotFound");
  EXPECT_EQ(absent.body["message"], "the server could not find the requested resource");

  json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "servicemonitors.monitoring.coreos.com"}}},
      {"spec",
       {{"group", "monitoring.coreos.com"},
        {"scope", "Namespaced"},
        {"names", {{"plural", "servicemonitors"}, {"kind", "ServiceMonitor"}}},
        {"versions", json::array({{{"name", "v1"},
                                   {"served", true},
                                   {"storage", true},
                                   {"schema",
                                    {{"openAPIV3Schema",
                                      {{"type", "object"},
                                       {"x-kubernetes-preserve-unknown-fields", true}}}}}}})}}}};
  ASSERT_EQ(call("POST", kCrds, crd).status, 201);
  auto created = call("POST", monitors, sm);
  EXPECT_EQ(created.status, 201) << created.text;
  EXPECT_EQ(created.body["spec"]["endpoints"][0]["port"], "metrics");
}

// ---- create, get, errors ---------------------------------------------------------------------

TEST_F(KubeApiDouble, CreateSetsSystemFieldsAndGetReturnsTheObject) {
  auto created = create(kConfigMaps, config_map("a"));
  const auto& m = created["metadata"];
  EXPECT_EQ(m["namespace"], "default");
  EXPECT_EQ(m["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(m["creationTimestamp"].get<std::string>().empty());
  EXPECT_GT(std::stoull(m["resourceVersion"].get<std::string>()), 0u);
  EXPECT_FALSE(m.contains("generation"));  // ConfigMaps have none

  auto got = call("GET", kConfigMaps + "/a");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, created);
  EXPECT_EQ(got.body["kind"], "ConfigMap");
  EXPECT_EQ(got.body["apiVersion"], "v1");

  auto again = call("POST", kConfigMaps, config_map("a"));
  expect_status(again, 409, "AlreadyExists");
  EXPECT_EQ(again.body["message"], "configmaps \"a\" already exists");
  EXPECT_EQ(again.body["details"]["name"], "a");
  EXPECT_EQ(again.body["details"]["kind"], "configmaps");

  auto missing = call("GET", kConfigMaps + "/nope");
  expect_status(missing, 404, "NotFound");
  EXPECT_EQ(missing.body["message"], "configmaps \"nope\" not found");
}

TEST_F(KubeApiDouble, CreateRulesOfTheRealServer) {
  json generated = config_map("");
  generated["metadata"].erase("name");
  generated["metadata"]["generateName"] = "cfg-";
  auto g = create(kConfigMaps, generated);
  const std::string name = g["metadata"]["name"];
  EXPECT_EQ(name.rfind("cfg-", 0), 0u);
  EXPECT_EQ(name.size(), 9u);

  json with_rv = config_map("b");
  with_rv["metadata"]["resourceVersion"] = "12";
  auto rv = call("POST", kConfigMaps, with_rv);
  EXPECT_EQ(rv.status, 500);
  EXPECT_EQ(rv.body["message"], "resourceVersion should not be set on objects to be created");

  expect_status(call("POST", "/api/v1/namespaces/nowhere/configmaps", config_map("c")), 404,
                "NotFound");
  auto bad_name = call("POST", kConfigMaps, config_map("Bad_Name"));
  expect_status(bad_name, 422, "Invalid");
  EXPECT_EQ(bad_name.body["details"]["causes"][0]["field"], "metadata.name");
  auto bad_ns = config_map("d");
  bad_ns["metadata"]["namespace"] = "kube-system";
  expect_status(call("POST", kConfigMaps, bad_ns), 400, "BadRequest");
  json bad_label = config_map("e", {{"app", "not valid!"}});
  auto label = call("POST", kConfigMaps, bad_label);
  expect_status(label, 422, "Invalid");
  EXPECT_EQ(label.body["details"]["causes"][0]["field"], "metadata.labels");
  expect_status(call("POST", kConfigMaps, "{not json", "application/json"), 400, "BadRequest");
  expect_status(call("PUT", kConfigMaps, config_map("f")), 405, "MethodNotAllowed");
}

TEST_F(KubeApiDouble, YamlBodiesAreAccepted) {
  auto r = call(
      "POST", kConfigMaps,
      std::string("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  a: \"1\"\n"),
      "application/yaml");
  EXPECT_EQ(r.status, 201) << r.text;
  EXPECT_EQ(r.body["data"]["a"], "1");
}

// ---- list ------------------------------------------------------------------------------------

TEST_F(KubeApiDouble, ListHasListMetadataAndSelectorsFilter) {
  create(kConfigMaps, config_map("a", {{"app", "tern"}, {"tier", "broker"}}));
  create(kConfigMaps, config_map("b", {{"app", "tern"}, {"tier", "operator"}}));
  create(kConfigMaps, config_map("c", {{"app", "other"}}));
  create(kConfigMaps, config_map("d"));
  create("/api/v1/namespaces/kube-system/configmaps", config_map("e", {{"app", "tern"}}));

  auto names = [&](const std::string& query) {
    auto r = call("GET", kConfigMaps + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.text;
    std::vector<std::string> out;
    for (const auto& i : r.body["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  auto all = call("GET", kConfigMaps);
  EXPECT_EQ(all.body["kind"], "ConfigMapList");
  EXPECT_EQ(all.body["apiVersion"], "v1");
  EXPECT_EQ(all.body["metadata"]["resourceVersion"], std::to_string(api_->resource_version()));
  EXPECT_FALSE(all.body["items"][0].contains("kind"));  // typed lists omit the items' kind
  EXPECT_EQ(names(""), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(names("?labelSelector=app%3Dtern"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("?labelSelector=app%3D%3Dtern,tier!%3Dbroker"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(names("?labelSelector=app!%3Dtern"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(names("?labelSelector=app%20in%20(tern,other)"),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names("?labelSelector=app%20notin%20(tern)"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(names("?labelSelector=tier"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("?labelSelector=!tier"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(names("?fieldSelector=metadata.name%3Dc"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(names("?fieldSelector=metadata.name!%3Dc"), (std::vector<std::string>{"a", "b", "d"}));

  auto every = call("GET", "/api/v1/configmaps?labelSelector=app%3Dtern");
  ASSERT_EQ(every.status, 200);
  EXPECT_EQ(every.body["items"].size(), 3u);

  expect_status(call("GET", kConfigMaps + "?fieldSelector=data.k%3Dv"), 400, "BadRequest");
  expect_status(call("GET", kConfigMaps + "?labelSelector=app%20in%20(a"), 400, "BadRequest");
}

TEST_F(KubeApiDouble, ListPagesAreConsistentAndExpireAfterCompaction) {
  for (const char* n : {"a", "b", "c", "d", "e"}) create(kConfigMaps, config_map(n));
  // Served from the watch cache, a resourceVersion=0 list ignores limit.
  EXPECT_EQ(call("GET", kConfigMaps + "?limit=2&resourceVersion=0").body["items"].size(), 5u);
  auto first = call("GET", kConfigMaps + "?limit=2");
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.body["items"].size(), 2u);
  EXPECT_EQ(first.body["metadata"]["remainingItemCount"], 3);
  const std::string token = first.body["metadata"]["continue"];
  const std::string list_rv = first.body["metadata"]["resourceVersion"];

  // Changes after the first page do not show in the later pages.
  ASSERT_EQ(call("DELETE", kConfigMaps + "/c").status, 200);
  create(kConfigMaps, config_map("f"));
  auto second = call("GET", kConfigMaps + "?limit=2&continue=" + token);
  ASSERT_EQ(second.status, 200) << second.text;
  EXPECT_EQ(second.body["metadata"]["resourceVersion"], list_rv);
  EXPECT_EQ(second.body["items"][0]["metadata"]["name"], "c");
  EXPECT_EQ(second.body["items"][1]["metadata"]["name"], "d");
  auto third = call("GET", kConfigMaps + "?limit=2&continue=" +
                               second.body["metadata"]["continue"].get<std::string>());
  ASSERT_EQ(third.body["items"].size(), 1u);
  EXPECT_EQ(third.body["items"][0]["metadata"]["name"], "e");
  EXPECT_FALSE(third.body["metadata"].contains("continue"));

  api_->compact_history();
  auto expired = call("GET", kConfigMaps + "?limit=2&continue=" + token);
  expect_status(expired, 410, "Expired");
}

// ---- update, conflicts, generation -----------------------------------------------------------

TEST_F(KubeApiDouble, UpdateNeedsTheCurrentResourceVersion) {
  auto cm = create(kConfigMaps, config_map("a"));
  json changed = cm;
  changed["data"]["k"] = "w";
  auto ok = call("PUT", kConfigMaps + "/a", changed);
  ASSERT_EQ(ok.status, 200) << ok.text;
  EXPECT_GT(std::stoull(rv_of(ok.body)), std::stoull(rv_of(cm)));
  EXPECT_EQ(ok.body["data"]["k"], "w");

  changed["data"]["k"] = "x";  // still carries the old resourceVersion
  auto stale = call("PUT", kConfigMaps + "/a", changed);
  expect_status(stale, 409, "Conflict");
  EXPECT_EQ(stale.body["message"],
            "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; "
            "please apply your changes to the latest version and try again");

  // The same content again is a no-op: no new resourceVersion.
  auto same = call("PUT", kConfigMaps + "/a", ok.body);
  ASSERT_EQ(same.status, 200);
  EXPECT_EQ(rv_of(same.body), rv_of(ok.body));

  // ConfigMaps allow an unconditional update; custom resources do not.
  json unconditional = ok.body;
  unconditional["metadata"].erase("resourceVersion");
  unconditional["data"]["k"] = "z";
  EXPECT_EQ(call("PUT", kConfigMaps + "/a", unconditional).status, 200);

  add_widget_crd();
  auto w = create(kWidgets, widget("w"));
  json no_rv = w;
  no_rv["metadata"].erase("resourceVersion");
  auto invalid = call("PUT", kWidgets + "/w", no_rv);
  expect_status(invalid, 422, "Invalid");
  EXPECT_EQ(invalid.body["details"]["causes"][0]["field"], "metadata.resourceVersion");

  json renamed = w;
  renamed["metadata"]["name"] = "other";
  expect_status(call("PUT", kWidgets + "/w", renamed), 400, "BadRequest");
  json other_uid = w;
  other_uid["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
  expect_status(call("PUT", kWidgets + "/w", other_uid), 409, "Conflict");
  expect_status(call("PUT", kWidgets + "/missing", widget("missing")), 404, "NotFound");
}

TEST_F(KubeApiDouble, GenerationCountsSpecChangesOnly) {
  auto sts = create(kStatefulSets, stateful_set("tern"));
  EXPECT_EQ(sts["metadata"]["generation"], 1);
  sts["metadata"]["labels"] = {{"changed", "yes"}};
  auto labelled = call("PUT", kStatefulSets + "/tern", sts).body;
  EXPECT_EQ(labelled["metadata"]["generation"], 1);
  labelled["spec"]["replicas"] = 3;
  auto scaled = call("PUT", kStatefulSets + "/tern", labelled).body;
  EXPECT_EQ(scaled["metadata"]["generation"], 2);

  add_widget_crd();
  auto w = create(kWidgets, widget("w"));
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w["metadata"]["annotations"] = {{"note", "x"}};
  w = call("PUT", kWidgets + "/w", w).body;
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w["spec"]["replicas"] = 5;
  w = call("PUT", kWidgets + "/w", w).body;
  EXPECT_EQ(w["metadata"]["generation"], 2);
  w["status"] = {{"phase", "Ready"}, {"observedGeneration", 2}};
  w = call("PUT", kWidgets + "/w/status", w).body;
  EXPECT_EQ(w["metadata"]["generation"], 2);
  EXPECT_EQ(w["status"]["phase"], "Ready");
}

TEST_F(KubeApiDouble, StatusSubresourceSeparatesSpecFromStatus) {
  add_widget_crd();
  json w = widget("w", {{"replicas", 1}});
  w["status"] = {{"phase", "Invented"}};
  auto created = create(kWidgets, w);
  EXPECT_FALSE(created.contains("status")) << created;  // status is dropped on create

  json main = created;
  main["spec"]["replicas"] = 2;
  main["status"] = {{"phase", "Ignored"}};
  auto updated = call("PUT", kWidgets + "/w", main).body;
  EXPECT_EQ(updated["spec"]["replicas"], 2);
  EXPECT_FALSE(updated.contains("status"));

  json status = updated;
  status["spec"]["replicas"] = 7;
  status["metadata"]["labels"] = {{"ignored", "true"}};
  status["status"] = {{"phase", "Ready"}, {"replicas", 2}};
  auto written = call("PUT", kWidgets + "/w/status", status);
  ASSERT_EQ(written.status, 200) << written.text;
  EXPECT_EQ(written.body["spec"]["replicas"], 2);
  EXPECT_FALSE(written.body["metadata"].contains("labels"));
  EXPECT_EQ(written.body["status"]["phase"], "Ready");
  auto got = call("GET", kWidgets + "/w/status");
  EXPECT_EQ(got.body["status"]["replicas"], 2);

  // Status writes are validated against the schema too.
  json bad = written.body;
  bad["status"]["replicas"] = "two";
  auto rejected = call("PUT", kWidgets + "/w/status", bad);
  expect_status(rejected, 422, "Invalid");
  EXPECT_EQ(rejected.body["details"]["causes"][0]["field"], "status.replicas");

  // Kinds without the subresource have no /status path.
  create(kConfigMaps, config_map("a"));
  expect_status(call("GET", kConfigMaps + "/a/status"), 404, "NotFound");
}

// ---- patch -----------------------------------------------------------------------------------

TEST_F(KubeApiDouble, MergePatchAndJsonPatch) {
  create(kConfigMaps, config_map("a"));
  auto merged = call("PATCH", kConfigMaps + "/a", json{{"data", {{"k", nullptr}, {"n", "1"}}}},
                     "application/merge-patch+json");
  ASSERT_EQ(merged.status, 200) << merged.text;
  EXPECT_EQ(merged.body["data"], (json{{"n", "1"}}));

  json ops = json::array({{{"op", "add"}, {"path", "/data/m"}, {"value", "2"}},
                          {{"op", "replace"}, {"path", "/data/n"}, {"value", "3"}}});
  auto patched = call("PATCH", kConfigMaps + "/a", ops, "application/json-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.text;
  EXPECT_EQ(patched.body["data"], (json{{"m", "2"}, {"n", "3"}}));

  json failing = json::array({{{"op", "test"}, {"path", "/data/m"}, {"value", "9"}}});
  expect_status(call("PATCH", kConfigMaps + "/a", failing, "application/json-patch+json"), 422,
                "Invalid");
  expect_status(call("PATCH", kConfigMaps + "/a", json::array(), "application/merge-patch+json"),
                400, "BadRequest");

  // A resourceVersion in the patch is a precondition.
  json stale = {{"metadata", {{"resourceVersion", "1"}}}, {"data", {{"x", "y"}}}};
  expect_status(call("PATCH", kConfigMaps + "/a", stale, "application/merge-patch+json"), 409,
                "Conflict");
  json current = {{"metadata", {{"resourceVersion", rv_of(patched.body)}}}, {"data", {{"x", "y"}}}};
  EXPECT_EQ(call("PATCH", kConfigMaps + "/a", current, "application/merge-patch+json").status, 200);

  expect_status(call("PATCH", kConfigMaps + "/a", json::object(), "text/plain"), 415,
                "UnsupportedMediaType");
  expect_status(
      call("PATCH", kConfigMaps + "/missing", json::object(), "application/merge-patch+json"), 404,
      "NotFound");
}

TEST_F(KubeApiDouble, StrategicMergePatchForBuiltInKindsOnly) {
  create(kStatefulSets, stateful_set("tern"));
  json patch = {
      {"spec",
       {{"template",
         {{"spec",
           {{"containers", json::array({{{"name", "sidecar"}, {"image", "side:1"}}})}}}}}}}};
  auto r = call("PATCH", kStatefulSets + "/tern", patch, "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.text;
  // Containers merge by name rather than being replaced.
  EXPECT_EQ(r.body["spec"]["template"]["spec"]["containers"].size(), 2u);

  add_widget_crd();
  create(kWidgets, widget("w"));
  expect_status(call("PATCH", kWidgets + "/w", json{{"spec", {{"replicas", 1}}}},
                     "application/strategic-merge-patch+json"),
                415, "UnsupportedMediaType");
  auto merged = call("PATCH", kWidgets + "/w", json{{"spec", {{"replicas", 1}}}},
                     "application/merge-patch+json");
  EXPECT_EQ(merged.status, 200);
  EXPECT_EQ(merged.body["metadata"]["generation"], 2);
}

// ---- delete, finalizers, garbage collection ----------------------------------------------------

TEST_F(KubeApiDouble, DeleteWithoutFinalizersRemovesAtOnce) {
  auto cm = create(kConfigMaps, config_map("a"));
  auto del = call("DELETE", kConfigMaps + "/a");
  ASSERT_EQ(del.status, 200) << del.text;
  EXPECT_EQ(del.body["kind"], "Status");
  EXPECT_EQ(del.body["status"], "Success");
  EXPECT_EQ(del.body["details"]["uid"], cm["metadata"]["uid"]);
  expect_status(call("GET", kConfigMaps + "/a"), 404, "NotFound");
  expect_status(call("DELETE", kConfigMaps + "/a"), 404, "NotFound");

  add_widget_crd();
  auto w = create(kWidgets, widget("w"));
  auto wdel = call("DELETE", kWidgets + "/w");
  ASSERT_EQ(wdel.status, 200);
  EXPECT_EQ(wdel.body["kind"], "Widget");  // custom resources come back as the deleted object

  create(kConfigMaps, config_map("b"));
  json precondition = {{"preconditions", {{"uid", "11111111-1111-1111-1111-111111111111"}}}};
  expect_status(call("DELETE", kConfigMaps + "/b", precondition), 409, "Conflict");
  EXPECT_EQ(call("GET", kConfigMaps + "/b").status, 200);
}

TEST_F(KubeApiDouble, FinalizersHoldTheObjectUntilRemoved) {
  add_widget_crd();
  json w = widget("w");
  w["metadata"]["finalizers"] = json::array({"tern.dev/topic"});
  auto created = create(kWidgets, w);
  watch_reader watch(api_->port(), kWidgets + "?watch=1&resourceVersion=" + rv_of(created));

  auto del = call("DELETE", kWidgets + "/w");
  ASSERT_EQ(del.status, 200) << del.text;
  EXPECT_FALSE(del.body["metadata"]["deletionTimestamp"].get<std::string>().empty());
  EXPECT_EQ(del.body["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_EQ(del.body["metadata"]["generation"], 2);  // marking for deletion bumps it
  auto still = call("GET", kWidgets + "/w");
  ASSERT_EQ(still.status, 200);

  json more = still.body;
  more["metadata"]["finalizers"].push_back("example.com/other");
  auto refused = call("PUT", kWidgets + "/w", more);
  expect_status(refused, 422, "Invalid");
  EXPECT_EQ(refused.body["details"]["causes"][0]["field"], "metadata.finalizers");

  // Deleting again changes nothing.
  auto again = call("DELETE", kWidgets + "/w");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(rv_of(again.body), rv_of(still.body));

  auto released = call("PATCH", kWidgets + "/w", json{{"metadata", {{"finalizers", nullptr}}}},
                       "application/merge-patch+json");
  ASSERT_EQ(released.status, 200) << released.text;
  expect_status(call("GET", kWidgets + "/w"), 404, "NotFound");

  std::vector<std::string> types;
  while (auto e = watch.next(1s)) types.push_back((*e)["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"MODIFIED", "MODIFIED", "DELETED"}));
}

TEST_F(KubeApiDouble, BackgroundDeletionCollectsDependents) {
  add_widget_crd();
  auto owner = create(kWidgets, widget("owner"));
  auto other = create(kWidgets, widget("other"));
  json dep = config_map("dep");
  dep["metadata"]["ownerReferences"] = json::array({owner_ref(owner)});
  create(kConfigMaps, dep);
  json shared = config_map("shared");
  shared["metadata"]["ownerReferences"] = json::array({owner_ref(owner), owner_ref(other)});
  create(kConfigMaps, shared);
  json elsewhere = config_map("elsewhere");
  create(kConfigMaps, elsewhere);

  ASSERT_EQ(call("DELETE", kWidgets + "/owner").status, 200);
  EXPECT_TRUE(gone(kConfigMaps + "/dep"));
  // A dependent with a remaining owner stays; the reference to the gone owner is dropped.
  EXPECT_TRUE(eventually([&] {
    auto s = call("GET", kConfigMaps + "/shared");
    return s.status == 200 && s.body["metadata"]["ownerReferences"].size() == 1;
  }));
  EXPECT_EQ(call("GET", kConfigMaps + "/elsewhere").status, 200);
}

TEST_F(KubeApiDouble, ForegroundDeletionWaitsForBlockingDependents) {
  add_widget_crd();
  auto owner = create(kWidgets, widget("owner"));
  json dep = config_map("dep");
  dep["metadata"]["ownerReferences"] = json::array({owner_ref(owner, true)});
  dep["metadata"]["finalizers"] = json::array({"example.com/hold"});
  create(kConfigMaps, dep);

  auto del = call("DELETE", kWidgets + "/owner?propagationPolicy=Foreground");
  ASSERT_EQ(del.status, 200) << del.text;
  EXPECT_EQ(del.body["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  // The dependent is being deleted, and the owner waits for it.
  EXPECT_TRUE(eventually([&] {
    auto d = call("GET", kConfigMaps + "/dep");
    return d.body["metadata"].contains("deletionTimestamp");
  }));
  api_->run_controllers();
  EXPECT_EQ(call("GET", kWidgets + "/owner").status, 200);
  ASSERT_EQ(call("PATCH", kConfigMaps + "/dep", json{{"metadata", {{"finalizers", nullptr}}}},
                 "application/merge-patch+json")
                .status,
            200);
  EXPECT_TRUE(gone(kConfigMaps + "/dep"));
  EXPECT_TRUE(gone(kWidgets + "/owner"));
}

TEST_F(KubeApiDouble, OrphanDeletionKeepsDependentsWithoutTheReference) {
  auto owner = create(kConfigMaps, config_map("owner"));
  json dep = config_map("dep");
  dep["metadata"]["ownerReferences"] = json::array({owner_ref(owner)});
  create(kConfigMaps, dep);
  json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Orphan"}};
  auto del = call("DELETE", kConfigMaps + "/owner", options);
  ASSERT_EQ(del.status, 200);
  EXPECT_TRUE(gone(kConfigMaps + "/owner"));
  auto kept = call("GET", kConfigMaps + "/dep");
  ASSERT_EQ(kept.status, 200);
  EXPECT_FALSE(kept.body["metadata"].contains("ownerReferences")) << kept.text;
}

TEST_F(KubeApiDouble, NamespaceDeletionEmptiesTheNamespace) {
  create("/api/v1/namespaces", json{{"metadata", {{"name", "doomed"}}}});
  const std::string cms = "/api/v1/namespaces/doomed/configmaps";
  create(cms, config_map("a"));
  json held = config_map("held");
  held["metadata"]["finalizers"] = json::array({"example.com/hold"});
  create(cms, held);
  auto del = call("DELETE", "/api/v1/namespaces/doomed");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.body["status"]["phase"], "Terminating");
  expect_status(call("POST", cms, config_map("new")), 403, "Forbidden");
  EXPECT_TRUE(gone(cms + "/a"));
  api_->run_controllers();
  EXPECT_EQ(call("GET", "/api/v1/namespaces/doomed").status, 200);  // waits for "held"
  call("PATCH", cms + "/held", json{{"metadata", {{"finalizers", nullptr}}}},
       "application/merge-patch+json");
  EXPECT_TRUE(gone("/api/v1/namespaces/doomed"));
}

// ---- watch -----------------------------------------------------------------------------------

TEST_F(KubeApiDouble, WatchFromListResourceVersionSeesEveryChange) {
  create(kConfigMaps, config_map("before"));
  auto list = call("GET", kConfigMaps);
  watch_reader watch(api_->port(), kConfigMaps + "?watch=1&resourceVersion=" +
                                       list.body["metadata"]["resourceVersion"].get<std::string>());
  ASSERT_EQ(watch.status(), 200);
  auto a = create(kConfigMaps, config_map("a"));
  a["data"]["k"] = "changed";
  auto modified = call("PUT", kConfigMaps + "/a", a).body;
  call("DELETE", kConfigMaps + "/a");

  auto added = watch.next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  EXPECT_EQ((*added)["object"]["kind"], "ConfigMap");
  EXPECT_EQ((*added)["object"]["metadata"]["name"], "a");
  auto mod = watch.next();
  ASSERT_TRUE(mod);
  EXPECT_EQ((*mod)["type"], "MODIFIED");
  EXPECT_EQ(rv_of((*mod)["object"]), rv_of(modified));
  auto deleted = watch.next();
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_GT(std::stoull(rv_of((*deleted)["object"])), std::stoull(rv_of(modified)));
  EXPECT_FALSE(watch.next(300ms));
}

TEST_F(KubeApiDouble, WatchWithoutResourceVersionStartsWithSyntheticAdds) {
  create(kConfigMaps, config_map("a"));
  create(kConfigMaps, config_map("b"));
  for (const char* query : {"?watch=true", "?watch=1&resourceVersion=0"}) {
    watch_reader watch(api_->port(), kConfigMaps + query);
    auto first = watch.next();
    auto second = watch.next();
    ASSERT_TRUE(first && second);
    EXPECT_EQ((*first)["type"], "ADDED");
    EXPECT_EQ((*first)["object"]["metadata"]["name"], "a");
    EXPECT_EQ((*second)["object"]["metadata"]["name"], "b");
  }
}

TEST_F(KubeApiDouble, WatchSelectorsTurnRelabelsIntoAddsAndDeletes) {
  auto cm = create(kConfigMaps, config_map("a", {{"app", "other"}}));
  watch_reader watch(
      api_->port(), kConfigMaps + "?watch=1&labelSelector=app%3Dtern&resourceVersion=" + rv_of(cm));
  cm["metadata"]["labels"]["app"] = "tern";
  cm = call("PUT", kConfigMaps + "/a", cm).body;
  cm["metadata"]["labels"]["app"] = "gone";
  cm = call("PUT", kConfigMaps + "/a", cm).body;
  auto in = watch.next();
  auto out = watch.next();
  ASSERT_TRUE(in && out);
  EXPECT_EQ((*in)["type"], "ADDED");
  EXPECT_EQ((*out)["type"], "DELETED");
  EXPECT_EQ(rv_of((*out)["object"]), rv_of(cm));
}

TEST_F(KubeApiDouble, WatchBookmarksAndTimeout) {
  watch_reader watch(api_->port(),
                     kConfigMaps + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=2");
  auto cm = create(kConfigMaps, config_map("a"));
  auto added = watch.next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  std::optional<json> bookmark;
  while (auto e = watch.next(1s))
    if ((*e)["type"] == "BOOKMARK") {
      bookmark = e;
      break;
    }
  ASSERT_TRUE(bookmark);
  EXPECT_EQ((*bookmark)["object"]["kind"], "ConfigMap");
  EXPECT_GE(std::stoull(rv_of((*bookmark)["object"])), std::stoull(rv_of(cm)));
  EXPECT_EQ(watch.wait_end(3s), watch_reader::ending::clean);
}

TEST_F(KubeApiDouble, WatchFromCompactedResourceVersionGetsGone) {
  auto cm = create(kConfigMaps, config_map("a"));
  create(kConfigMaps, config_map("b"));
  api_->compact_history();
  watch_reader watch(api_->port(), kConfigMaps + "?watch=1&resourceVersion=" + rv_of(cm));
  EXPECT_EQ(watch.status(), 200);
  auto error = watch.next();
  ASSERT_TRUE(error);
  EXPECT_EQ((*error)["type"], "ERROR");
  EXPECT_EQ((*error)["object"]["kind"], "Status");
  EXPECT_EQ((*error)["object"]["code"], 410);
  EXPECT_EQ((*error)["object"]["reason"], "Expired");
  EXPECT_NE((*error)["object"]["message"].get<std::string>().find("too old resource version"),
            std::string::npos);
  EXPECT_EQ(watch.wait_end(), watch_reader::ending::clean);

  // The current resourceVersion is still fine.
  watch_reader fresh(api_->port(), kConfigMaps + "?watch=1&resourceVersion=" +
                                       std::to_string(api_->resource_version()));
  create(kConfigMaps, config_map("c"));
  auto added = fresh.next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
}

TEST(KubeApiDoubleHistory, BoundedHistoryExpiresOldResourceVersions) {
  kube_api_double_options options;
  options.history_limit = 5;
  kube_api_double api(options);
  auto first = http_call(api.port(), "POST", kConfigMaps, config_map("first"));
  for (int i = 0; i < 10; ++i)
    http_call(api.port(), "POST", kConfigMaps, config_map("cm" + std::to_string(i)));
  watch_reader watch(api.port(), kConfigMaps + "?watch=1&resourceVersion=" + rv_of(first.body));
  auto error = watch.next();
  ASSERT_TRUE(error);
  EXPECT_EQ((*error)["type"], "ERROR");
  EXPECT_EQ((*error)["object"]["code"], 410);
}

TEST_F(KubeApiDouble, DropWatchesCutsStreamsAbruptly) {
  watch_reader a(api_->port(), kConfigMaps + "?watch=1");
  watch_reader b(api_->port(), "/api/v1/watch/namespaces/default/secrets");
  ASSERT_TRUE(eventually([&] { return api_->open_watches() == 2; }));
  api_->drop_watches();
  EXPECT_EQ(a.wait_end(), watch_reader::ending::abrupt);
  EXPECT_EQ(b.wait_end(), watch_reader::ending::abrupt);
  EXPECT_EQ(api_->open_watches(), 0u);
}

TEST_F(KubeApiDouble, ClosedWatchesAreForgotten) {
  {
    watch_reader a(api_->port(), kConfigMaps + "?watch=1");
    ASSERT_TRUE(eventually([&] { return api_->open_watches() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return api_->open_watches() == 0; }));
}

// ---- hooks -----------------------------------------------------------------------------------

TEST_F(KubeApiDouble, FailNextInjectsOneError) {
  api_->fail_next("GET", "/configmaps", 500);
  api_->fail_next("PUT", "/configmaps/a", 409);
  expect_status(call("GET", kConfigMaps), 500, "InternalError");
  EXPECT_EQ(call("GET", kConfigMaps).status, 200);
  auto cm = create(kConfigMaps, config_map("a"));
  expect_status(call("PUT", kConfigMaps + "/a", cm), 409, "Conflict");
  EXPECT_EQ(call("PUT", kConfigMaps + "/a", cm).status, 200);
  api_->fail_next("GET", "watch=1", 410);
  watch_reader watch(api_->port(), kConfigMaps + "?watch=1");
  EXPECT_EQ(watch.status(), 410);
}

TEST_F(KubeApiDouble, DirectAccessAndRequestLog) {
  api_->clear_requests();
  auto r = api_->request("POST", kConfigMaps, config_map("a"));
  EXPECT_EQ(r.status, 201);
  auto got = api_->get(kConfigMaps + "/a");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["data"]["k"], "v");
  EXPECT_FALSE(api_->get(kConfigMaps + "/b"));
  call("GET", kConfigMaps + "/a");
  auto log = api_->requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log.back().method, "GET");
  EXPECT_EQ(log.back().status, 200);
}

TEST_F(KubeApiDouble, BearerTokenIsCheckedAndCanRotate) {
  api_->set_bearer_token("first");
  EXPECT_EQ(call("GET", kConfigMaps).status, 401);
  auto with = [&](const std::string& token) {
    return http_call(api_->port(), "GET", kConfigMaps, nullptr, "application/json",
                     "Bearer " + token);
  };
  EXPECT_EQ(with("first").status, 200);
  api_->set_bearer_token("second");
  auto old = with("first");
  expect_status(old, 401, "Unauthorized");
  EXPECT_EQ(with("second").status, 200);
  api_->set_bearer_token("");
  EXPECT_EQ(call("GET", kConfigMaps).status, 200);
}

// ---- CRD schema ------------------------------------------------------------------------------

TEST_F(KubeApiDouble, SchemaDefaultsAndPruning) {
  add_widget_crd();
  json spec = {{"listeners", json::array({{{"name", "plain"}}})},
               {"unknown", "dropped"},
               {"free", {{"anything", {{"goes", 1}}}}}};
  auto w = create(kWidgets, widget("w", spec));
  const auto& s = w["spec"];
  EXPECT_EQ(s["replicas"], 3);
  EXPECT_EQ(s["size"], "small");
  EXPECT_EQ(s["storage"], (json{{"size", "1Gi"}}));  // parent defaulted to {}, then its child
  EXPECT_FALSE(s.contains("extra"));                 // no default for the parent: untouched
  EXPECT_EQ(s["listeners"][0]["port"], 9092);
  EXPECT_FALSE(s.contains("unknown"));
  EXPECT_EQ(s["free"]["anything"]["goes"], 1);
  json top = widget("x");
  top["unexpected"] = true;
  top["metadata"]["unexpected"] = true;
  auto x = create(kWidgets, top);
  EXPECT_FALSE(x.contains("unexpected"));
  EXPECT_FALSE(x["metadata"].contains("unexpected"));
}

TEST_F(KubeApiDouble, SchemaValidationReportsFieldPaths) {
  add_widget_crd();
  auto r = call("POST", kWidgets,
                widget("w", {{"replicas", 20},
                             {"size", "huge"},
                             {"name", "Bad1"},
                             {"tags", json::array({"a", "b", "c", "d"})},
                             {"listeners", json::array({{{"port", 1}}})},
                             {"config", {{"k", 1}}}}));
  expect_status(r, 422, "Invalid");
  std::map<std::string, std::string> causes;
  for (const auto& c : r.body["details"]["causes"]) causes[c["field"]] = c["reason"];
  EXPECT_EQ(causes["spec.replicas"], "FieldValueInvalid");
  EXPECT_EQ(causes["spec.size"], "FieldValueNotSupported");
  EXPECT_EQ(causes["spec.name"], "FieldValueInvalid");
  EXPECT_EQ(causes["spec.tags"], "FieldValueTooMany");
  EXPECT_EQ(causes["spec.listeners[0].name"], "FieldValueRequired");
  EXPECT_EQ(causes["spec.config.k"], "FieldValueTypeInvalid");
  EXPECT_EQ(r.body["details"]["group"], "test.tern.dev");
  EXPECT_EQ(r.body["details"]["kind"], "Widget");
  const std::string message = r.body["message"];
  EXPECT_EQ(message.rfind("Widget.test.tern.dev \"w\" is invalid: [", 0), 0u) << message;
  EXPECT_NE(message.find("spec.replicas: Invalid value: 20: spec.replicas in body should be less "
                         "than or equal to 10"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("spec.size: Unsupported value: \"huge\": supported values: \"small\", "
                         "\"large\""),
            std::string::npos)
      << message;

  auto single = call("POST", kWidgets, widget("v", {{"replicas", -1}}));
  EXPECT_EQ(single.body["message"],
            "Widget.test.tern.dev \"v\" is invalid: spec.replicas: Invalid value: -1: "
            "spec.replicas in body should be greater than or equal to 0");

  // Updates and patch results are validated too.
  auto w = create(kWidgets, widget("ok"));
  w["spec"]["replicas"] = 11;
  expect_status(call("PUT", kWidgets + "/ok", w), 422, "Invalid");
  expect_status(call("PATCH", kWidgets + "/ok", json{{"spec", {{"size", "medium"}}}},
                     "application/merge-patch+json"),
                422, "Invalid");
  auto patched = call("PATCH", kWidgets + "/ok", json{{"spec", {{"replicas", nullptr}}}},
                      "application/merge-patch+json");
  EXPECT_EQ(patched.body["spec"]["replicas"], 3);  // removed, then defaulted again
}

TEST_F(KubeApiDouble, ScaleSubresource) {
  add_widget_crd();
  create(kWidgets, widget("w", {{"replicas", 2}}));
  auto scale = call("GET", kWidgets + "/w/scale");
  ASSERT_EQ(scale.status, 200) << scale.text;
  EXPECT_EQ(scale.body["kind"], "Scale");
  EXPECT_EQ(scale.body["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale.body["spec"]["replicas"], 2);
  EXPECT_EQ(scale.body["status"]["replicas"], 0);
  scale.body["spec"]["replicas"] = 5;
  auto put = call("PUT", kWidgets + "/w/scale", scale.body);
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["spec"]["replicas"], 5);
  auto w = call("GET", kWidgets + "/w").body;
  EXPECT_EQ(w["spec"]["replicas"], 5);
  EXPECT_EQ(w["metadata"]["generation"], 2);
  expect_status(call("PUT", kWidgets + "/w/scale", scale.body), 409, "Conflict");  // stale
  w["status"] = {{"replicas", 5}, {"selector", "app=w"}};
  call("PUT", kWidgets + "/w/status", w);
  auto after = call("GET", kWidgets + "/w/scale").body;
  EXPECT_EQ(after["status"]["replicas"], 5);
  EXPECT_EQ(after["status"]["selector"], "app=w");

  create(kStatefulSets, stateful_set("tern"));
  auto patched = call("PATCH", kStatefulSets + "/tern/scale", json{{"spec", {{"replicas", 3}}}},
                      "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.text;
  EXPECT_EQ(patched.body["status"]["selector"], "app=tern");
  EXPECT_EQ(call("GET", kStatefulSets + "/tern").body["spec"]["replicas"], 3);
  expect_status(call("PATCH", kStatefulSets + "/tern/scale", json{{"spec", {{"replicas", -1}}}},
                     "application/merge-patch+json"),
                422, "Invalid");
}

TEST_F(KubeApiDouble, DeletingACrdRemovesItsObjectsAndStopsServingThem) {
  add_widget_crd();
  create(kWidgets, widget("w"));
  watch_reader watch(api_->port(), kWidgets + "?watch=1&resourceVersion=" +
                                       std::to_string(api_->resource_version()));
  ASSERT_EQ(call("DELETE", kCrds + "/widgets.test.tern.dev").status, 200);
  EXPECT_TRUE(gone(kCrds + "/widgets.test.tern.dev"));
  auto deleted = watch.next();
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_EQ(watch.wait_end(), watch_reader::ending::clean);
  expect_status(call("GET", kWidgets), 404, "NotFound");
}

TEST_F(KubeApiDouble, ChartCrdsDefaultTopicPartitions) {
  const std::filesystem::path crds = std::filesystem::path(TERN_SOURCE_DIR) / "charts/tern/crds";
  const auto clusters = crds / "tern.dev_clusters.yaml";
  const auto topics = crds / "tern.dev_topics.yaml";
  if (!std::filesystem::exists(clusters) || !std::filesystem::exists(topics))
    GTEST_SKIP() << "the chart's CRDs are not there yet";
  auto c = api_->load_crds(clusters.string());
  ASSERT_TRUE(c) << c.error();
  auto t = api_->load_crds(topics.string());
  ASSERT_TRUE(t) << t.error();
  // Fill only what the schema requires, whatever the chart names it, and leave partitions out.
  auto crd = api_->get(kCrds + "/topics.tern.dev");
  ASSERT_TRUE(crd);
  const json* schema = nullptr;
  for (const auto& v : (*crd)["spec"]["versions"])
    if (v["name"] == "v1alpha1") schema = &v["schema"]["openAPIV3Schema"]["properties"]["spec"];
  ASSERT_TRUE(schema);
  json spec = minimal_value(*schema, {"partitions"});
  json topic = {{"apiVersion", "tern.dev/v1alpha1"},
                {"kind", "Topic"},
                {"metadata", {{"name", "events"}}},
                {"spec", spec}};
  auto r = call("POST", "/apis/tern.dev/v1alpha1/namespaces/default/topics", topic);
  ASSERT_EQ(r.status, 201) << r.text;
  EXPECT_EQ(r.body["spec"]["partitions"], 1) << r.text;
}

// ---- built-in kinds --------------------------------------------------------------------------

TEST_F(KubeApiDouble, BuiltInDefaultsAndImmutableFields) {
  auto sts = create(kStatefulSets, stateful_set("tern"));
  const auto& spec = sts["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["podManagementPolicy"], "OrderedReady");
  EXPECT_EQ(spec["updateStrategy"]["type"], "RollingUpdate");
  EXPECT_TRUE(spec["template"]["metadata"].contains("creationTimestamp"));
  EXPECT_TRUE(spec["template"]["metadata"]["creationTimestamp"].is_null());
  EXPECT_EQ(spec["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(sts["status"]["replicas"], 0);

  json changed = sts;
  changed["spec"]["serviceName"] = "other";
  auto forbidden = call("PUT", kStatefulSets + "/tern", changed);
  expect_status(forbidden, 422, "Invalid");
  EXPECT_EQ(forbidden.body["details"]["causes"][0]["field"], "spec");

  json mismatched = stateful_set("bad");
  mismatched["spec"]["template"]["metadata"]["labels"]["app"] = "other";
  auto selector = call("POST", kStatefulSets, mismatched);
  expect_status(selector, 422, "Invalid");
  EXPECT_EQ(selector.body["details"]["causes"][0]["field"], "spec.template.metadata.labels");

  json svc = {
      {"metadata", {{"name", "tern"}}},
      {"spec", {{"selector", {{"app", "tern"}}}, {"ports", json::array({{{"port", 9092}}})}}}};
  auto service = create("/api/v1/namespaces/default/services", svc);
  const std::string ip = service["spec"]["clusterIP"];
  EXPECT_FALSE(ip.empty());
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], 9092);
  json update = service;
  update["spec"].erase("clusterIP");
  update["spec"].erase("clusterIPs");
  auto kept = call("PUT", "/api/v1/namespaces/default/services/tern", update);
  ASSERT_EQ(kept.status, 200) << kept.text;
  EXPECT_EQ(kept.body["spec"]["clusterIP"], ip);

  json secret = {{"metadata", {{"name", "s"}}}, {"stringData", {{"password", "hunter2"}}}};
  auto s = create("/api/v1/namespaces/default/secrets", secret);
  EXPECT_EQ(s["data"]["password"], "aHVudGVyMg==");
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_FALSE(s.contains("stringData"));

  json event = {{"metadata", {{"name", "e"}}}, {"reason", "Started"}};
  auto ev = call("POST", "/apis/events.k8s.io/v1/namespaces/default/events", event);
  expect_status(ev, 422, "Invalid");
  std::set<std::string> fields;
  for (const auto& c : ev.body["details"]["causes"]) fields.insert(c["field"]);
  EXPECT_TRUE(fields.count("eventTime"));
  EXPECT_TRUE(fields.count("reportingController"));
}

TEST_F(KubeApiDouble, LeaseUpdatesAreGuardedByResourceVersion) {
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  json lease = {{"metadata", {{"name", "tern-operator"}}},
                {"spec", {{"holderIdentity", "a"}, {"leaseDurationSeconds", 15}}}};
  auto created = create(leases, lease);
  json a = created, b = created;
  a["spec"]["holderIdentity"] = "a2";
  b["spec"]["holderIdentity"] = "b";
  EXPECT_EQ(call("PUT", leases + "/tern-operator", a).status, 200);
  expect_status(call("PUT", leases + "/tern-operator", b), 409, "Conflict");
}

// ---- concurrency -----------------------------------------------------------------------------

TEST_F(KubeApiDouble, ConcurrentWritersAndWatchersSeeEveryEvent) {
  watch_reader watch(api_->port(), kConfigMaps + "?watch=1&resourceVersion=" +
                                       std::to_string(api_->resource_version()));
  constexpr int kThreads = 8, kEach = 15;
  std::atomic<int> conflicts{0};
  create(kConfigMaps, config_map("shared"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = call("POST", kConfigMaps,
                      config_map("cm-" + std::to_string(t) + "-" + std::to_string(i)));
        EXPECT_EQ(r.status, 201);
        auto shared = call("GET", kConfigMaps + "/shared").body;
        shared["data"]["k"] = std::to_string(t * 100 + i);
        if (call("PUT", kConfigMaps + "/shared", shared).status == 409) ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  const int successful_updates = kThreads * kEach - conflicts.load();
  int added = 0, modified = 0;
  while (auto e = watch.next(500ms)) {
    if ((*e)["type"] == "ADDED") ++added;
    if ((*e)["type"] == "MODIFIED") ++modified;
  }
  EXPECT_EQ(added, kThreads * kEach + 1);
  // A PUT of identical data is a no-op without an event, so count changes rather than PUTs.
  EXPECT_LE(modified, successful_updates);
  EXPECT_GT(modified, 0);
}

// ---- the executable --------------------------------------------------------------------------

TEST(KubeDoubleProcess, PrintsReadyLineAndServesLoadedCrds) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kube-double-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto crd_file = dir / "widgets.yaml";
  std::ofstream(crd_file) << kWidgetCrd;

  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::execl(TERN_KUBE_DOUBLE_BIN, TERN_KUBE_DOUBLE_BIN, "--port", "0", "--crd", crd_file.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  const std::string prefix = "tern-kube-double ready: http://127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const auto port = static_cast<uint16_t>(std::stoi(line.substr(prefix.size())));
  auto widgets = http_call(port, "GET", kWidgets);
  EXPECT_EQ(widgets.status, 200) << widgets.text;
  EXPECT_EQ(widgets.body["kind"], "WidgetList");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::kube_double
