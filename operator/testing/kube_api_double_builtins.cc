// Built-in kinds. Defaults follow the v1 defaulting functions of the real server (pkg/apis/*/v1/
// defaults.go) for the fields an operator's objects usually carry; validation covers the rules
// that reject an operator's writes in practice (selectors, immutable fields, required fields).
#include "operator/testing/kube_api_double_builtins.h"

#include <atomic>
#include <regex>
#include <set>

#include "operator/testing/kube_api_double_selectors.h"

namespace tern::kube_double {

namespace {

void set_default(json& object, const char* key, json value) {
  if (!object.is_object()) return;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) object[key] = std::move(value);
}

json* member(json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string str(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string idx(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// ---- containers and pod specs --------------------------------------------------------------

void probe_defaults(json& probe) {
  if (!probe.is_object()) return;
  set_default(probe, "timeoutSeconds", 1);
  set_default(probe, "periodSeconds", 10);
  set_default(probe, "successThreshold", 1);
  set_default(probe, "failureThreshold", 3);
  if (json* get = member(probe, "httpGet"); get && get->is_object())
    set_default(*get, "scheme", "HTTP");
}

std::string pull_policy_for(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

void container_defaults(json& c) {
  if (!c.is_object()) return;
  set_default(c, "terminationMessagePath", "/dev/termination-log");
  set_default(c, "terminationMessagePolicy", "File");
  set_default(c, "imagePullPolicy", pull_policy_for(str(c, "image")));
  set_default(c, "resources", json::object());
  if (json* ports = member(c, "ports"); ports && ports->is_array())
    for (auto& p : *ports) set_default(p, "protocol", "TCP");
  if (json* env = member(c, "env"); env && env->is_array())
    for (auto& e : *env)
      if (json* from = member(e, "valueFrom"); from && from->is_object())
        if (json* ref = member(*from, "fieldRef"); ref && ref->is_object())
          set_default(*ref, "apiVersion", "v1");
  for (const char* p : {"livenessProbe", "readinessProbe", "startupProbe"})
    if (json* probe = member(c, p)) probe_defaults(*probe);
}

void pod_spec_defaults(json& spec) {
  if (!spec.is_object()) return;
  set_default(spec, "restartPolicy", "Always");
  set_default(spec, "terminationGracePeriodSeconds", 30);
  set_default(spec, "dnsPolicy", "ClusterFirst");
  set_default(spec, "securityContext", json::object());
  set_default(spec, "schedulerName", "default-scheduler");
  for (const char* list : {"containers", "initContainers"})
    if (json* cs = member(spec, list); cs && cs->is_array())
      for (auto& c : *cs) container_defaults(c);
  if (json* vols = member(spec, "volumes"); vols && vols->is_array()) {
    for (auto& v : *vols) {
      for (const char* src : {"configMap", "secret", "downwardAPI", "projected"})
        if (json* s = member(v, src); s && s->is_object()) set_default(*s, "defaultMode", 420);
    }
  }
}

void template_defaults(json& tmpl) {
  if (!tmpl.is_object()) return;
  json& m = tmpl["metadata"];
  if (!m.is_object()) m = json::object();
  // The server serialises the template's zero creationTimestamp as null.
  if (!m.contains("creationTimestamp")) m["creationTimestamp"] = nullptr;
  if (json* spec = member(tmpl, "spec")) pod_spec_defaults(*spec);
}

std::vector<field_error> validate_containers(const json& spec, const std::string& path) {
  std::vector<field_error> out;
  const json* cs = spec.is_object() && spec.contains("containers") ? &spec["containers"] : nullptr;
  if (!cs || !cs->is_array() || cs->empty()) {
    out.push_back(required(path + ".containers"));
    return out;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < cs->size(); ++i) {
    const json& c = (*cs)[i];
    const std::string cp = idx(path + ".containers", i);
    const std::string name = str(c, "name");
    if (name.empty()) {
      out.push_back(required(cp + ".name"));
    } else {
      for (const auto& p : dns1123_label_problems(name))
        out.push_back(invalid(cp + ".name", name, p));
      if (!names.insert(name).second)
        out.push_back({field_error::kind::duplicate, cp + ".name", name, ""});
    }
    if (str(c, "image").empty()) out.push_back(required(cp + ".image"));
    if (const json* ports = c.is_object() && c.contains("ports") ? &c["ports"] : nullptr;
        ports && ports->is_array()) {
      for (size_t j = 0; j < ports->size(); ++j) {
        const json& p = (*ports)[j];
        const json port =
            p.is_object() && p.contains("containerPort") ? p["containerPort"] : json();
        if (!port.is_number_integer() || port.get<long long>() < 1 || port.get<long long>() > 65535)
          out.push_back(invalid(idx(cp + ".ports", j) + ".containerPort", port,
                                "must be between 1 and 65535, inclusive"));
      }
    }
  }
  return out;
}

// Selector must be non-empty and match the template's labels (StatefulSet, Deployment).
std::vector<field_error> validate_workload(const json& object) {
  std::vector<field_error> out;
  const json* spec = find_path(object, "spec");
  if (!spec || !spec->is_object()) return {required("spec")};
  const json* selector = find_path(*spec, "selector");
  if (!selector || !selector->is_object() ||
      (find_path(*selector, "matchLabels") == nullptr &&
       find_path(*selector, "matchExpressions") == nullptr)) {
    out.push_back(required("spec.selector"));
  } else {
    auto sel = label_selector::from_object(*selector);
    const json* labels = find_path(*spec, "template.metadata.labels");
    if (!sel) {
      out.push_back(invalid("spec.selector", *selector, sel.error()));
    } else if (sel->empty()) {
      out.push_back(
          invalid("spec.selector", *selector, "empty selector is invalid for deployment"));
    } else if (!sel->matches(labels ? *labels : json())) {
      out.push_back(invalid("spec.template.metadata.labels", labels ? *labels : json::object(),
                            "`selector` does not match template `labels`"));
    }
  }
  if (const json* r = find_path(*spec, "replicas"); r && r->is_number() && r->get<double>() < 0)
    out.push_back(invalid("spec.replicas", *r, "must be greater than or equal to 0"));
  const json* pod_spec = find_path(*spec, "template.spec");
  for (auto& e : validate_containers(pod_spec ? *pod_spec : json(), "spec.template.spec"))
    out.push_back(std::move(e));
  return out;
}

// ---- ConfigMap and Secret --------------------------------------------------------------------

std::vector<field_error> validate_config_keys(const json& object, const char* field) {
  static const std::regex re("[-._a-zA-Z0-9]+");
  std::vector<field_error> out;
  const json* data = find_path(object, field);
  if (!data || !data->is_object()) return out;
  for (const auto& [k, v] : data->items()) {
    if (!std::regex_match(k, re) || k.size() > 253)
      out.push_back(invalid(std::string(field) + "[" + k + "]", k,
                            "a valid config key must consist of alphanumeric characters, '-', '_' "
                            "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
                            "for validation is '[-._a-zA-Z0-9]+')"));
  }
  return out;
}

std::vector<field_error> validate_immutable_data(const json& updated, const json& old) {
  std::vector<field_error> out;
  const json* was = find_path(old, "immutable");
  if (!was || !was->is_boolean() || !was->get<bool>()) return out;
  const json* now = find_path(updated, "immutable");
  if (!now || !now->is_boolean() || !now->get<bool>())
    out.push_back(forbidden("immutable", "field is immutable when `immutable` is set"));
  for (const char* f : {"data", "binaryData", "stringData"}) {
    const json* a = find_path(old, f);
    const json* b = find_path(updated, f);
    if ((a ? *a : json()) != (b ? *b : json()))
      out.push_back(forbidden(f, "field is immutable when `immutable` is set"));
  }
  return out;
}

std::vector<field_error> validate_configmap(const json& object) {
  auto out = validate_config_keys(object, "data");
  for (auto& e : validate_config_keys(object, "binaryData")) out.push_back(std::move(e));
  return out;
}

void secret_defaults(json& object) {
  set_default(object, "type", "Opaque");
  // stringData is write-only: the server folds it into data.
  if (json* sd = member(object, "stringData"); sd && sd->is_object()) {
    json& data = object["data"];
    if (!data.is_object()) data = json::object();
    for (const auto& [k, v] : sd->items())
      data[k] = base64_encode(v.is_string() ? v.get<std::string>() : v.dump());
  }
  object.erase("stringData");
}

std::vector<field_error> validate_secret(const json& object) {
  return validate_config_keys(object, "data");
}

std::vector<field_error> validate_secret_update(const json& updated, const json& old) {
  auto out = validate_immutable_data(updated, old);
  if (str(updated, "type") != str(old, "type"))
    out.push_back(invalid("type", str(updated, "type"), "field is immutable"));
  return out;
}

// ---- Service ---------------------------------------------------------------------------------

std::atomic<uint32_t> g_next_cluster_ip{10};
std::atomic<uint32_t> g_next_node_port{30000};

std::string allocate_cluster_ip() {
  const uint32_t n = g_next_cluster_ip++;
  return "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
}

bool wants_node_ports(const json& spec) {
  const std::string type = str(spec, "type");
  return type == "NodePort" || type == "LoadBalancer";
}

void service_create(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) return;
  const std::string type = str(spec, "type");
  if (type != "ExternalName") {
    if (str(spec, "clusterIP").empty()) spec["clusterIP"] = allocate_cluster_ip();
    if (!spec.contains("clusterIPs")) spec["clusterIPs"] = json::array({spec["clusterIP"]});
  }
  if (wants_node_ports(spec))
    if (json* ports = member(spec, "ports"); ports && ports->is_array())
      for (auto& p : *ports)
        if (!p.contains("nodePort")) p["nodePort"] = static_cast<int>(g_next_node_port++);
}

void service_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "type", "ClusterIP");
  set_default(spec, "sessionAffinity", "None");
  const std::string type = str(spec, "type");
  if (type != "ExternalName") {
    set_default(spec, "ipFamilies", json::array({"IPv4"}));
    set_default(spec, "ipFamilyPolicy", "SingleStack");
    set_default(spec, "internalTrafficPolicy", "Cluster");
  }
  if (wants_node_ports(spec)) set_default(spec, "externalTrafficPolicy", "Cluster");
  if (json* ports = member(spec, "ports"); ports && ports->is_array()) {
    for (auto& p : *ports) {
      set_default(p, "protocol", "TCP");
      if (p.contains("port")) set_default(p, "targetPort", p["port"]);
    }
  }
}

void service_update(json& updated, const json& old) {
  // The server keeps allocated values a client leaves out (PatchAllocatedValues).
  json& spec = updated["spec"];
  const json* old_spec = find_path(old, "spec");
  if (!spec.is_object() || !old_spec) return;
  if (str(spec, "clusterIP").empty() && old_spec->contains("clusterIP"))
    spec["clusterIP"] = (*old_spec)["clusterIP"];
  if (!spec.contains("clusterIPs") && old_spec->contains("clusterIPs") &&
      str(spec, "clusterIP") == str(*old_spec, "clusterIP"))
    spec["clusterIPs"] = (*old_spec)["clusterIPs"];
  if (wants_node_ports(spec) && wants_node_ports(*old_spec)) {
    json* ports = member(spec, "ports");
    const json* old_ports = find_path(*old_spec, "ports");
    if (ports && ports->is_array() && old_ports && old_ports->is_array())
      for (auto& p : *ports) {
        if (p.contains("nodePort")) continue;
        for (const auto& o : *old_ports)
          if (o.value("port", -1) == p.value("port", -2) && o.contains("nodePort"))
            p["nodePort"] = o["nodePort"];
      }
  }
  if (wants_node_ports(spec))
    if (json* ports = member(spec, "ports"); ports && ports->is_array())
      for (auto& p : *ports)
        if (!p.contains("nodePort")) p["nodePort"] = static_cast<int>(g_next_node_port++);
}

std::vector<field_error> validate_service(const json& object) {
  std::vector<field_error> out;
  const json* spec = find_path(object, "spec");
  if (!spec || !spec->is_object()) return {required("spec")};
  const std::string type = str(*spec, "type");
  static const std::vector<std::string> kTypes = {"ClusterIP", "NodePort", "LoadBalancer",
                                                  "ExternalName"};
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
    out.push_back(not_supported("spec.type", type, kTypes));
  const json* ports = find_path(*spec, "ports");
  const bool headless = str(*spec, "clusterIP") == "None";
  if ((!ports || !ports->is_array() || ports->empty()) && !headless && type != "ExternalName")
    out.push_back(required("spec.ports"));
  if (ports && ports->is_array()) {
    std::set<std::string> names;
    for (size_t i = 0; i < ports->size(); ++i) {
      const json& p = (*ports)[i];
      const std::string pp = idx("spec.ports", i);
      const std::string name = str(p, "name");
      if (ports->size() > 1 && name.empty()) out.push_back(required(pp + ".name"));
      if (!name.empty() && !names.insert(name).second)
        out.push_back({field_error::kind::duplicate, pp + ".name", name, ""});
      const json port = p.is_object() && p.contains("port") ? p["port"] : json();
      if (!port.is_number_integer() || port.get<long long>() < 1 || port.get<long long>() > 65535)
        out.push_back(invalid(pp + ".port", port, "must be between 1 and 65535, inclusive"));
      const std::string proto = str(p, "protocol");
      if (!proto.empty() && proto != "TCP" && proto != "UDP" && proto != "SCTP")
        out.push_back(not_supported(pp + ".protocol", proto, {"SCTP", "TCP", "UDP"}));
    }
  }
  if (const json* sel = find_path(*spec, "selector"); sel && sel->is_object())
    for (const auto& [k, v] : sel->items()) {
      for (const auto& p : qualified_name_problems(k))
        out.push_back(invalid("spec.selector", k, p));
      if (v.is_string())
        for (const auto& p : label_value_problems(v.get<std::string>()))
          out.push_back(invalid("spec.selector", v, p));
    }
  return out;
}

std::vector<field_error> validate_service_update(const json& updated, const json& old) {
  std::vector<field_error> out;
  const std::string before =
      str(find_path(old, "spec") ? *find_path(old, "spec") : json(), "clusterIP");
  const std::string after =
      str(find_path(updated, "spec") ? *find_path(updated, "spec") : json(), "clusterIP");
  if (!before.empty() && before != after &&
      str(*find_path(updated, "spec"), "type") != "ExternalName")
    out.push_back(invalid("spec.clusterIPs[0]", json::array({after}), "may not change once set"));
  return out;
}

// ---- Pod ---------------------------------------------------------------------------------------

void pod_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  pod_spec_defaults(spec);
  set_default(spec, "serviceAccountName", "default");
  set_default(spec, "serviceAccount", spec["serviceAccountName"]);
  set_default(spec, "enableServiceLinks", true);
  set_default(spec, "priority", 0);
  set_default(spec, "preemptionPolicy", "PreemptLowerPriority");
  set_default(spec, "tolerations",
              json::array({{{"key", "node.kubernetes.io/not-ready"},
                            {"operator", "Exists"},
                            {"effect", "NoExecute"},
                            {"tolerationSeconds", 300}},
                           {{"key", "node.kubernetes.io/unreachable"},
                            {"operator", "Exists"},
                            {"effect", "NoExecute"},
                            {"tolerationSeconds", 300}}}));
}

std::vector<field_error> validate_pod(const json& object) {
  const json* spec = find_path(object, "spec");
  return validate_containers(spec ? *spec : json(), "spec");
}

std::vector<field_error> validate_pod_update(const json& updated, const json& old) {
  // Only images, activeDeadlineSeconds and tolerations may change in a pod's spec.
  auto strip = [](json spec) {
    for (const char* list : {"containers", "initContainers"})
      if (json* cs = member(spec, list); cs && cs->is_array())
        for (auto& c : *cs) c.erase("image");
    spec.erase("activeDeadlineSeconds");
    spec.erase("tolerations");
    return spec;
  };
  const json* a = find_path(updated, "spec");
  const json* b = find_path(old, "spec");
  if (strip(a ? *a : json()) == strip(b ? *b : json())) return {};
  return {forbidden("spec",
                    "pod updates may not change fields other than `spec.containers[*].image`, "
                    "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, "
                    "`spec.tolerations` (only additions to existing tolerations) or "
                    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                    "previously negative)")};
}

// ---- StatefulSet and Deployment ----------------------------------------------------------------

void pvc_template_defaults(json& pvc) {
  if (!pvc.is_object()) return;
  set_default(pvc, "apiVersion", "v1");
  set_default(pvc, "kind", "PersistentVolumeClaim");
  json& m = pvc["metadata"];
  if (!m.is_object()) m = json::object();
  if (!m.contains("creationTimestamp")) m["creationTimestamp"] = nullptr;
  json& spec = pvc["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "volumeMode", "Filesystem");
  set_default(pvc, "status", json{{"phase", "Pending"}});
}

void statefulset_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "replicas", 1);
  set_default(spec, "podManagementPolicy", "OrderedReady");
  set_default(spec, "revisionHistoryLimit", 10);
  set_default(spec, "updateStrategy", json{{"type", "RollingUpdate"}});
  json& strategy = spec["updateStrategy"];
  set_default(strategy, "type", "RollingUpdate");
  if (str(strategy, "type") == "RollingUpdate") {
    set_default(strategy, "rollingUpdate", json::object());
    set_default(strategy["rollingUpdate"], "partition", 0);
  }
  set_default(spec, "persistentVolumeClaimRetentionPolicy",
              json{{"whenDeleted", "Retain"}, {"whenScaled", "Retain"}});
  if (json* tmpl = member(spec, "template")) template_defaults(*tmpl);
  if (json* vcts = member(spec, "volumeClaimTemplates"); vcts && vcts->is_array())
    for (auto& pvc : *vcts) pvc_template_defaults(pvc);
}

std::vector<field_error> validate_statefulset(const json& object) {
  auto out = validate_workload(object);
  const json* spec = find_path(object, "spec");
  if (!spec) return out;
  const std::string policy = str(*spec, "podManagementPolicy");
  if (policy != "OrderedReady" && policy != "Parallel")
    out.push_back(not_supported("spec.podManagementPolicy", policy, {"OrderedReady", "Parallel"}));
  const json* strategy = find_path(*spec, "updateStrategy");
  const std::string type = strategy ? str(*strategy, "type") : "";
  if (type != "RollingUpdate" && type != "OnDelete")
    out.push_back(not_supported("spec.updateStrategy.type", type, {"OnDelete", "RollingUpdate"}));
  if (type == "OnDelete" && strategy && strategy->contains("rollingUpdate"))
    out.push_back(invalid("spec.updateStrategy.rollingUpdate", (*strategy)["rollingUpdate"],
                          "only allowed for updateStrategy 'RollingUpdate'"));
  const std::string restart =
      str(find_path(*spec, "template.spec") ? *find_path(*spec, "template.spec") : json(),
          "restartPolicy");
  if (!restart.empty() && restart != "Always")
    out.push_back(not_supported("spec.template.spec.restartPolicy", restart, {"Always"}));
  return out;
}

std::vector<field_error> validate_statefulset_update(const json& updated, const json& old) {
  auto strip = [](const json* spec) {
    json s = spec ? *spec : json::object();
    for (const char* f : {"replicas", "ordinals", "template", "updateStrategy",
                          "persistentVolumeClaimRetentionPolicy", "minReadySeconds"})
      s.erase(f);
    return s;
  };
  if (strip(find_path(updated, "spec")) == strip(find_path(old, "spec"))) return {};
  return {forbidden("spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden")};
}

void deployment_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "replicas", 1);
  set_default(spec, "revisionHistoryLimit", 10);
  set_default(spec, "progressDeadlineSeconds", 600);
  set_default(spec, "strategy", json{{"type", "RollingUpdate"}});
  json& strategy = spec["strategy"];
  set_default(strategy, "type", "RollingUpdate");
  if (str(strategy, "type") == "RollingUpdate") {
    set_default(strategy, "rollingUpdate", json::object());
    set_default(strategy["rollingUpdate"], "maxUnavailable", "25%");
    set_default(strategy["rollingUpdate"], "maxSurge", "25%");
  }
  if (json* tmpl = member(spec, "template")) template_defaults(*tmpl);
}

std::vector<field_error> validate_selector_immutable(const json& updated, const json& old) {
  const json* a = find_path(updated, "spec.selector");
  const json* b = find_path(old, "spec.selector");
  if ((a ? *a : json()) == (b ? *b : json())) return {};
  return {invalid("spec.selector", a ? *a : json(), "field is immutable")};
}

// ---- PodDisruptionBudget, PVC, Lease, Events, Namespace
// ------------------------------------------

std::vector<field_error> validate_pdb(const json& object) {
  std::vector<field_error> out;
  const json* spec = find_path(object, "spec");
  if (spec && spec->contains("minAvailable") && spec->contains("maxUnavailable"))
    out.push_back(invalid("spec", *spec, "minAvailable and maxUnavailable cannot be both set"));
  return out;
}

void pvc_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "volumeMode", "Filesystem");
}

std::vector<field_error> validate_pvc(const json& object) {
  std::vector<field_error> out;
  const json* modes = find_path(object, "spec.accessModes");
  if (!modes || !modes->is_array() || modes->empty())
    out.push_back(required("spec.accessModes", "at least 1 access mode is required"));
  if (!find_path(object, "spec.resources.requests.storage"))
    out.push_back(required("spec.resources[storage]"));
  return out;
}

std::vector<field_error> validate_pvc_update(const json& updated, const json& old) {
  auto strip = [](const json* spec) {
    json s = spec ? *spec : json::object();
    if (json* r = member(s, "resources"); r && r->is_object()) r->erase("requests");
    s.erase("volumeAttributesClassName");
    return s;
  };
  if (strip(find_path(updated, "spec")) == strip(find_path(old, "spec"))) return {};
  return {forbidden("spec",
                    "spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims")};
}

std::vector<field_error> validate_lease(const json& object) {
  const json* d = find_path(object, "spec.leaseDurationSeconds");
  if (d && d->is_number() && d->get<double>() <= 0)
    return {invalid("spec.leaseDurationSeconds", *d, "must be greater than 0")};
  return {};
}

std::vector<field_error> validate_core_event(const json& object) {
  std::vector<field_error> out;
  const std::string ns = meta_string(object, "namespace");
  const json* involved = find_path(object, "involvedObject.namespace");
  if (involved && involved->is_string() && !involved->get<std::string>().empty() &&
      involved->get<std::string>() != ns)
    out.push_back(invalid("involvedObject.namespace", *involved, "does not match event.namespace"));
  return out;
}

std::vector<field_error> validate_events_v1(const json& object) {
  std::vector<field_error> out;
  if (!find_path(object, "eventTime") || find_path(object, "eventTime")->is_null())
    out.push_back(required("eventTime"));
  const std::string type = str(object, "type");
  if (type != "Normal" && type != "Warning")
    out.push_back(invalid("type", "", "has invalid value: " + type));
  if (str(object, "reportingController").empty()) out.push_back(required("reportingController"));
  if (str(object, "reportingInstance").empty()) out.push_back(required("reportingInstance"));
  if (str(object, "action").empty()) out.push_back(required("action"));
  if (str(object, "reason").empty()) out.push_back(required("reason"));
  if (str(object, "note").size() > 1024)
    out.push_back({field_error::kind::too_long, "note", str(object, "note"),
                   "may not be more than 1024 bytes"});
  return out;
}

void namespace_create(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) spec = json::object();
  spec["finalizers"] = json::array({"kubernetes"});
}

void namespace_defaults(json& object) {
  json& labels = meta_of(object)["labels"];
  if (!labels.is_object()) labels = json::object();
  labels["kubernetes.io/metadata.name"] = meta_string(object, "name");
}

void namespace_update(json& updated, const json& old) {
  // spec.finalizers change only through the finalize subresource.
  if (const json* f = find_path(old, "spec")) updated["spec"] = *f;
}

// ---- CustomResourceDefinition ------------------------------------------------------------------

void crd_defaults(json& object) {
  json& spec = object["spec"];
  if (!spec.is_object()) return;
  json& names = spec["names"];
  if (names.is_object()) {
    std::string kind = str(names, "kind");
    std::string lower;
    for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    set_default(names, "singular", lower);
    set_default(names, "listKind", kind + "List");
  }
  set_default(spec, "conversion", json{{"strategy", "None"}});
}

std::vector<field_error> validate_crd(const json& object) {
  auto type = resource_registry::from_crd(object);
  return type ? std::vector<field_error>{} : type.error();
}

std::vector<field_error> validate_crd_update(const json& updated, const json& old) {
  std::vector<field_error> out;
  for (const char* f : {"spec.group", "spec.names.plural", "spec.scope"}) {
    const json* a = find_path(updated, f);
    const json* b = find_path(old, f);
    if ((a ? *a : json()) != (b ? *b : json()))
      out.push_back(invalid(f, a ? *a : json(), "field is immutable"));
  }
  return out;
}

const kind_strategy kConfigMap{
    nullptr, nullptr, nullptr, validate_configmap, validate_immutable_data, nullptr};
const kind_strategy kSecret{nullptr,         secret_defaults,        nullptr,
                            validate_secret, validate_secret_update, nullptr};
const kind_strategy kService{service_create,   service_defaults,        service_update,
                             validate_service, validate_service_update, R"({"loadBalancer":{}})"};
const kind_strategy kPod{
    nullptr,      pod_defaults,        nullptr,
    validate_pod, validate_pod_update, R"({"phase":"Pending","qosClass":"BestEffort"})"};
const kind_strategy kStatefulSet{nullptr,
                                 statefulset_defaults,
                                 nullptr,
                                 validate_statefulset,
                                 validate_statefulset_update,
                                 R"({"replicas":0,"availableReplicas":0})"};
const kind_strategy kDeployment{nullptr,           deployment_defaults,         nullptr,
                                validate_workload, validate_selector_immutable, "{}"};
const kind_strategy kPdb{
    nullptr, nullptr,
    nullptr, validate_pdb,
    nullptr, R"({"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0})"};
const kind_strategy kPvc{nullptr,      pvc_defaults,        nullptr,
                         validate_pvc, validate_pvc_update, R"({"phase":"Pending"})"};
const kind_strategy kLease{nullptr, nullptr, nullptr, validate_lease, nullptr, nullptr};
const kind_strategy kCoreEvent{nullptr, nullptr, nullptr, validate_core_event, nullptr, nullptr};
const kind_strategy kEventsV1{nullptr, nullptr, nullptr, validate_events_v1, nullptr, nullptr};
const kind_strategy kNamespace{namespace_create, namespace_defaults,     namespace_update, nullptr,
                               nullptr,          R"({"phase":"Active"})"};
const kind_strategy kCrd{nullptr, crd_defaults, nullptr, validate_crd, validate_crd_update, "{}"};

resource_type make(std::string group, std::string version, std::string plural, std::string kind,
                   bool namespaced, const kind_strategy* strategy) {
  resource_type t;
  t.group = std::move(group);
  t.versions = {version};
  t.storage_version = version;
  t.plural = std::move(plural);
  t.kind = std::move(kind);
  t.list_kind = t.kind + "List";
  for (char c : t.kind)
    t.singular += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t.namespaced = namespaced;
  t.strategy = strategy;
  return t;
}

}  // namespace

const kind_strategy& crd_strategy() {
  return kCrd;
}

std::vector<resource_type> builtin_resource_types() {
  std::vector<resource_type> out;

  auto cm = make("", "v1", "configmaps", "ConfigMap", true, &kConfigMap);
  cm.short_names = {"cm"};
  out.push_back(cm);

  auto secret = make("", "v1", "secrets", "Secret", true, &kSecret);
  secret.field_labels = {"type"};
  out.push_back(secret);

  auto svc = make("", "v1", "services", "Service", true, &kService);
  svc.status_subresource = true;
  svc.names = name_rule::dns1035_label;
  svc.short_names = {"svc"};
  svc.categories = {"all"};
  out.push_back(svc);

  auto pod = make("", "v1", "pods", "Pod", true, &kPod);
  pod.status_subresource = true;
  pod.return_deleted_object = true;
  pod.short_names = {"po"};
  pod.categories = {"all"};
  pod.field_labels = {"spec.nodeName",           "spec.restartPolicy", "spec.schedulerName",
                      "spec.serviceAccountName", "status.phase",       "status.podIP",
                      "status.nominatedNodeName"};
  out.push_back(pod);

  auto event = make("", "v1", "events", "Event", true, &kCoreEvent);
  event.allow_create_on_update = true;
  event.short_names = {"ev"};
  event.field_labels = {"involvedObject.kind",
                        "involvedObject.namespace",
                        "involvedObject.name",
                        "involvedObject.uid",
                        "involvedObject.apiVersion",
                        "involvedObject.resourceVersion",
                        "involvedObject.fieldPath",
                        "reason",
                        "reportingComponent",
                        "source",
                        "type"};
  out.push_back(event);

  auto pvc = make("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, &kPvc);
  pvc.status_subresource = true;
  pvc.short_names = {"pvc"};
  out.push_back(pvc);

  auto ns = make("", "v1", "namespaces", "Namespace", false, &kNamespace);
  ns.status_subresource = true;
  ns.names = name_rule::dns1123_label;
  ns.short_names = {"ns"};
  ns.field_labels = {"status.phase"};
  out.push_back(ns);

  out.push_back(make("", "v1", "serviceaccounts", "ServiceAccount", true, nullptr));
  out.push_back(make("", "v1", "endpoints", "Endpoints", true, nullptr));
  auto node = make("", "v1", "nodes", "Node", false, nullptr);
  node.status_subresource = true;
  out.push_back(node);

  auto sts = make("apps", "v1", "statefulsets", "StatefulSet", true, &kStatefulSet);
  sts.status_subresource = true;
  sts.scale = scale_paths{".spec.replicas", ".status.replicas", "", true};
  sts.generation = generation_policy::spec_only;
  sts.short_names = {"sts"};
  sts.categories = {"all"};
  out.push_back(sts);

  auto deploy = make("apps", "v1", "deployments", "Deployment", true, &kDeployment);
  deploy.status_subresource = true;
  deploy.scale = scale_paths{".spec.replicas", ".status.replicas", "", true};
  deploy.generation = generation_policy::spec_only;
  deploy.short_names = {"deploy"};
  deploy.categories = {"all"};
  out.push_back(deploy);

  auto pdb = make("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, &kPdb);
  pdb.status_subresource = true;
  pdb.generation = generation_policy::spec_only;
  pdb.short_names = {"pdb"};
  out.push_back(pdb);

  auto lease = make("coordination.k8s.io", "v1", "leases", "Lease", true, &kLease);
  lease.allow_create_on_update = true;
  out.push_back(lease);

  auto ev1 = make("events.k8s.io", "v1", "events", "Event", true, &kEventsV1);
  ev1.allow_create_on_update = true;
  ev1.short_names = {"ev"};
  ev1.field_labels = {
      "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "reason",
      "type",           "reportingController"};
  out.push_back(ev1);

  auto crd = make("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                  "CustomResourceDefinition", false, &kCrd);
  crd.status_subresource = true;
  crd.generation = generation_policy::spec_only;
  crd.allow_unconditional_update = false;
  crd.short_names = {"crd", "crds"};
  out.push_back(crd);

  return out;
}

}  // namespace tern::kube_double
