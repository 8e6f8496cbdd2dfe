// Writes: create, update (main resource and status), patch, scale, delete with finalizers and
// propagation policies, and the CRD lifecycle (a CRD's type is served from its creation until
// the object is gone).
#include <algorithm>

#include "operator/testing/kube_api_double_core.h"
#include "operator/testing/kube_api_double_patch.h"

namespace tern::kube_double {

namespace {

const char* kCrdId = "customresourcedefinitions.apiextensions.k8s.io";
const char* kCrdCleanup = "customresourcecleanup.apiextensions.k8s.io";
const char* kOrphan = "orphan";
const char* kForeground = "foregroundDeletion";

std::string lower_media_type(const std::string& content_type) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct;
}

std::vector<std::string> string_list(const json* list) {
  std::vector<std::string> out;
  if (list && list->is_array())
    for (const auto& v : *list)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

json without(json object, std::initializer_list<const char*> keys) {
  for (const char* k : keys) object.erase(k);
  return object;
}

api_response ok(json body, int status = 200) {
  return api_response{status, std::move(body), {}};
}

bool has_deletion_timestamp(const json& object) {
  return !meta_string(object, "deletionTimestamp").empty();
}

// True when a deleting object has nothing left to wait for.
bool ready_to_remove(const resource_type& type, const json& object) {
  if (!has_deletion_timestamp(object)) return false;
  if (!string_list(find_path(object, "metadata.finalizers")).empty()) return false;
  if (type.id() == "namespaces" && !string_list(find_path(object, "spec.finalizers")).empty())
    return false;
  return true;
}

}  // namespace

result<json> api_core::decode_body(const context& ctx) const {
  const std::string ct = lower_media_type(ctx.request->content_type);
  json body;
  try {
    if (ct.empty() || ct == "application/json" || ct == "*/*") {
      body = json::parse(ctx.request->body);
    } else if (ct == "application/yaml") {
      auto docs = parse_yaml_documents(ctx.request->body);
      body = docs.empty() ? json() : docs.front();
    } else {
      return std::unexpected(unsupported_media_type(
          ct, "application/json, application/yaml, application/vnd.kubernetes.protobuf"));
    }
  } catch (const std::exception& e) {
    return std::unexpected(
        bad_request(std::string("couldn't get version/kind; json parse error: ") + e.what()));
  }
  if (!body.is_object())
    return std::unexpected(
        bad_request("couldn't get version/kind; json parse error: not an object"));
  if (ctx.path.subresource == "scale") return body;
  const auto& t = *ctx.type;
  const std::string expected = t.api_version(ctx.path.version);
  if (auto av = body.find("apiVersion"); av != body.end() && !av->is_null()) {
    if (!av->is_string() || av->get<std::string>() != expected)
      return std::unexpected(bad_request("the API version in the data (" +
                                         (av->is_string() ? av->get<std::string>() : av->dump()) +
                                         ") does not match the expected API version (" + expected +
                                         ")"));
  }
  if (auto kind = body.find("kind"); kind != body.end() && !kind->is_null()) {
    if (!kind->is_string() || kind->get<std::string>() != t.kind)
      return std::unexpected(bad_request(
          "the kind in the data (" + (kind->is_string() ? kind->get<std::string>() : kind->dump()) +
          ") does not match the expected kind (" + t.kind + ")"));
  }
  if (auto m = body.find("metadata"); m != body.end() && !m->is_null()) {
    if (!m->is_object())
      return std::unexpected(bad_request("json: cannot unmarshal " + std::string(m->type_name()) +
                                         " into Go struct field of type v1.ObjectMeta"));
    for (const char* field : {"labels", "annotations"}) {
      auto f = m->find(field);
      if (f == m->end() || f->is_null()) continue;
      bool ok_map = f->is_object();
      if (ok_map)
        for (const auto& [k, v] : f->items()) ok_map = ok_map && v.is_string();
      if (!ok_map)
        return std::unexpected(
            bad_request(std::string("json: cannot unmarshal into Go struct field "
                                    "ObjectMeta.metadata.") +
                        field + " of type map[string]string"));
    }
    for (const char* field : {"name", "namespace", "generateName", "resourceVersion", "uid"}) {
      auto f = m->find(field);
      if (f != m->end() && !f->is_null() && !f->is_string())
        return std::unexpected(
            bad_request(std::string("json: cannot unmarshal into Go struct field "
                                    "ObjectMeta.metadata.") +
                        field + " of type string"));
    }
  }
  body["apiVersion"] = t.api_version(t.storage_version);
  body["kind"] = t.kind;
  return body;
}

void api_core::apply_defaults(json& object, const resource_type& type,
                              const std::string& version) const {
  // ObjectMeta is a typed struct on every kind: unknown metadata fields do not survive.
  static const std::vector<std::string> kMeta = {"name",
                                                 "generateName",
                                                 "namespace",
                                                 "uid",
                                                 "resourceVersion",
                                                 "generation",
                                                 "creationTimestamp",
                                                 "deletionTimestamp",
                                                 "deletionGracePeriodSeconds",
                                                 "labels",
                                                 "annotations",
                                                 "ownerReferences",
                                                 "finalizers",
                                                 "managedFields"};
  json& m = meta_of(object);
  for (auto it = m.begin(); it != m.end();) {
    if (std::find(kMeta.begin(), kMeta.end(), it.key()) == kMeta.end() || it->is_null())
      it = m.erase(it);
    else
      ++it;
  }
  if (type.custom) {
    if (const auto* schema = type.schema_for(version)) schema->default_and_prune(object);
  } else if (type.strategy && type.strategy->apply_defaults) {
    type.strategy->apply_defaults(object);
  }
}

std::vector<field_error> api_core::validate(const json& object, const resource_type& type,
                                            const std::string& version) const {
  auto errs = validate_object_meta(object, type.names, type.namespaced);
  std::vector<field_error> more;
  if (type.custom) {
    if (const auto* schema = type.schema_for(version)) more = schema->validate(object);
  } else if (type.strategy && type.strategy->validate) {
    more = type.strategy->validate(object);
  }
  errs.insert(errs.end(), more.begin(), more.end());
  return errs;
}

result<api_response> api_core::create_object(const context& ctx, json body) {
  const auto& t = *ctx.type;
  json obj = std::move(body);
  json& m = meta_of(obj);
  if (t.namespaced) {
    const std::string ns = meta_string(obj, "namespace");
    if (ns.empty())
      m["namespace"] = ctx.path.ns;
    else if (ns != ctx.path.ns)
      return std::unexpected(bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"));
  } else {
    m.erase("namespace");
  }
  if (!meta_string(obj, "resourceVersion").empty())
    return std::unexpected(
        api_error{500, "", "resourceVersion should not be set on objects to be created", nullptr});
  if (t.terminating)
    return std::unexpected(api_error{405, "MethodNotAllowed",
                                     "create not allowed while custom resource definition is "
                                     "terminating",
                                     json::object()});
  std::string name = meta_string(obj, "name");
  if (name.empty() && !meta_string(obj, "generateName").empty()) {
    std::string prefix = meta_string(obj, "generateName");
    if (prefix.size() > 58) prefix.resize(58);
    name = prefix + random_name_suffix();
    m["name"] = name;
  }
  if (t.namespaced) {
    const std::string ns = ctx.path.ns;
    const json* ns_obj = store_.get("namespaces", ns);
    if (!ns_obj) return std::unexpected(not_found("namespaces", "", "namespaces", ns));
    if (has_deletion_timestamp(*ns_obj))
      return std::unexpected(forbidden_error(
          t.id(), t.group, t.plural, name,
          "unable to create new content in namespace " + ns + " because it is being terminated"));
  }
  m["uid"] = new_uid();
  m["creationTimestamp"] = now_rfc3339();
  for (const char* f :
       {"deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"})
    m.erase(f);
  if (t.generation != generation_policy::none)
    m["generation"] = 1;
  else
    m.erase("generation");
  if (t.status_subresource) {
    obj.erase("status");
    if (t.strategy && t.strategy->initial_status)
      obj["status"] = json::parse(t.strategy->initial_status);
  }
  if (t.strategy && t.strategy->prepare_for_create) t.strategy->prepare_for_create(obj);
  apply_defaults(obj, t, ctx.path.version);
  if (t.id() == kCrdId) {
    const json* versions = find_path(obj, "spec.versions");
    json stored = json::array();
    if (versions && versions->is_array())
      for (const auto& v : *versions)
        if (v.value("storage", false)) stored.push_back(v.value("name", ""));
    obj["status"] = {{"acceptedNames", {{"kind", ""}, {"plural", ""}}}, {"storedVersions", stored}};
  }
  if (auto errs = validate(obj, t, ctx.path.version); !errs.empty())
    return std::unexpected(invalid_error(ctx, name, errs));
  const std::string key = object_key(t.namespaced ? ctx.path.ns : "", name);
  if (store_.get(t.id(), key))
    return std::unexpected(already_exists(t.id(), t.group, t.plural, name));
  if (ctx.dry_run) return ok(render(ctx, obj), 201);
  json stored = store_.create(t.id(), key, std::move(obj));
  if (t.id() == kCrdId) {
    on_crd_written(stored);
    establish_crd(name);
  }
  notify_change();
  return ok(render(ctx, std::move(stored)), 201);
}

result<api_response> api_core::update_object(const context& ctx, json body, bool is_patch) {
  const auto& t = *ctx.type;
  const auto& sub = ctx.path.subresource;
  const std::string body_name = meta_string(body, "name");
  if (body_name != ctx.path.name)
    return std::unexpected(bad_request("the name of the object (" + body_name +
                                       ") does not match the name on the URL (" + ctx.path.name +
                                       ")"));
  json& bm = meta_of(body);
  if (t.namespaced) {
    const std::string ns = meta_string(body, "namespace");
    if (ns.empty())
      bm["namespace"] = ctx.path.ns;
    else if (ns != ctx.path.ns)
      return std::unexpected(bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"));
  }
  const json* existing = store_.get(t.id(), key_for(ctx));
  const std::string rv = meta_string(body, "resourceVersion");
  if (!existing) {
    if (!is_patch && sub.empty() && t.allow_create_on_update && rv.empty())
      return create_object(ctx, std::move(body));
    return std::unexpected(not_found_error(ctx));
  }
  const json old = *existing;
  if (rv.empty()) {
    if (!is_patch && !t.allow_unconditional_update)
      return std::unexpected(invalid_object(
          t.id(), t.group, t.plural, ctx.path.name,
          {invalid("metadata.resourceVersion", 0, "must be specified for an update")}));
  } else if (rv != meta_string(old, "resourceVersion")) {
    return std::unexpected(conflict_error(
        ctx,
        "the object has been modified; please apply your changes to the latest version and "
        "try again"));
  }
  const std::string uid = meta_string(body, "uid");
  if (!uid.empty() && uid != meta_string(old, "uid"))
    return std::unexpected(
        conflict_error(ctx, "Precondition failed: UID in precondition: " + uid +
                                ", UID in object meta: " + meta_string(old, "uid")));
  json updated;
  if (sub == "status") {
    if (t.custom) {
      // A custom resource's status write changes nothing but status.
      updated = old;
      if (body.contains("status"))
        updated["status"] = body["status"];
      else
        updated.erase("status");
    } else {
      updated = std::move(body);
      if (old.contains("spec"))
        updated["spec"] = old["spec"];
      else
        updated.erase("spec");
    }
  } else {
    updated = std::move(body);
    if (t.status_subresource) {
      if (old.contains("status"))
        updated["status"] = old["status"];
      else
        updated.erase("status");
    }
    if (t.strategy && t.strategy->prepare_for_update) t.strategy->prepare_for_update(updated, old);
  }
  // System fields come from the stored object whatever the client sent.
  json& m = meta_of(updated);
  const json& om = old.at("metadata");
  for (const char* f : {"uid", "creationTimestamp", "name", "namespace", "resourceVersion",
                        "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
    if (om.contains(f))
      m[f] = om[f];
    else
      m.erase(f);
  }
  m.erase("selfLink");
  updated["apiVersion"] = old.value("apiVersion", t.api_version(t.storage_version));
  updated["kind"] = t.kind;
  apply_defaults(updated, t, ctx.path.version);
  auto errs = validate(updated, t, ctx.path.version);
  for (auto& e : validate_object_meta_update(updated, old)) errs.push_back(std::move(e));
  if (sub.empty() && t.strategy && t.strategy->validate_update)
    for (auto& e : t.strategy->validate_update(updated, old)) errs.push_back(std::move(e));
  if (!errs.empty()) return std::unexpected(invalid_error(ctx, ctx.path.name, errs));
  auto committed = commit_update(ctx, old, std::move(updated));
  if (!committed) return std::unexpected(committed.error());
  return ok(render(ctx, std::move(*committed)));
}

result<json> api_core::commit_update(const context& ctx, const json& old, json updated) {
  const auto& t = *ctx.type;
  json& m = meta_of(updated);
  if (m.contains("generation") && m["generation"].is_number_integer()) {
    bool changed = false;
    if (t.generation == generation_policy::spec_only) {
      changed = old.value("spec", json()) != updated.value("spec", json());
    } else if (t.generation == generation_policy::all_but_metadata_and_status) {
      if (t.status_subresource)
        changed = without(old, {"metadata", "status"}) != without(updated, {"metadata", "status"});
      else
        changed = without(old, {"metadata"}) != without(updated, {"metadata"});
    }
    if (changed) m["generation"] = m["generation"].get<int64_t>() + 1;
  }
  if (updated == old) return old;  // a no-op write keeps its resourceVersion and sends no event
  if (ctx.dry_run) return updated;
  const std::string key = object_key(meta_string(old, "namespace"), meta_string(old, "name"));
  json stored = store_.update(t.id(), key, std::move(updated));
  if (t.id() == kCrdId) on_crd_written(stored);
  if (ready_to_remove(t, stored)) {
    store_.remove(t.id(), key);
    if (t.id() == kCrdId) on_crd_removed(stored);
  }
  notify_change();
  return stored;
}

result<api_response> api_core::patch_object(const context& ctx) {
  const auto& t = *ctx.type;
  const std::string ct = lower_media_type(ctx.request->content_type);
  const std::string accepted = t.custom
                                   ? "application/json-patch+json, application/merge-patch+json"
                                   : "application/json-patch+json, application/merge-patch+json, "
                                     "application/strategic-merge-patch+json";
  auto type = parse_patch_type(ct);
  if (!type || *type == patch_type::apply_patch ||
      (t.custom && *type == patch_type::strategic_merge_patch))
    return std::unexpected(unsupported_media_type(ct, accepted));
  const json* existing = store_.get(t.id(), key_for(ctx));
  if (!existing) return std::unexpected(not_found_error(ctx));
  const std::string current_rv = meta_string(*existing, "resourceVersion");
  const bool scale = ctx.path.subresource == "scale";
  json base = scale ? scale_of(t, *existing) : render(ctx, *existing);
  auto patched = apply_patch(base, *type, ctx.request->body);
  if (!patched) return std::unexpected(patched.error());
  if (!patched->is_object())
    return std::unexpected(bad_request("the patch did not produce an object"));
  // A resourceVersion in the patch is a precondition.
  const std::string rv = meta_string(*patched, "resourceVersion");
  if (!rv.empty() && rv != current_rv)
    return std::unexpected(conflict_error(
        ctx,
        "the object has been modified; please apply your changes to the latest version and "
        "try again"));
  meta_of(*patched)["resourceVersion"] = current_rv;
  if (scale) return update_scale(ctx, std::move(*patched));
  (*patched)["apiVersion"] = t.api_version(ctx.path.version);
  (*patched)["kind"] = t.kind;
  return update_object(ctx, std::move(*patched), true);
}

result<api_response> api_core::update_scale(const context& ctx, json scale) {
  const auto& t = *ctx.type;
  const json* existing = store_.get(t.id(), key_for(ctx));
  if (!existing) return std::unexpected(not_found_error(ctx));
  const json old = *existing;
  const json* replicas = find_path(scale, "spec.replicas");
  std::vector<field_error> errs;
  if (!replicas || !replicas->is_number_integer())
    errs.push_back(invalid("spec.replicas", replicas ? *replicas : json(), "must be an integer"));
  else if (replicas->get<int64_t>() < 0)
    errs.push_back(invalid("spec.replicas", *replicas, "must be greater than or equal to 0"));
  if (!errs.empty())
    return std::unexpected(
        invalid_object("Scale.autoscaling", "autoscaling", "Scale", ctx.path.name, errs));
  const std::string rv = meta_string(scale, "resourceVersion");
  if (!rv.empty() && rv != meta_string(old, "resourceVersion"))
    return std::unexpected(conflict_error(
        ctx,
        "the object has been modified; please apply your changes to the latest version and "
        "try again"));
  json updated = old;
  set_path(updated, t.scale->spec_replicas, *replicas);
  apply_defaults(updated, t, ctx.path.version);
  errs = validate(updated, t, ctx.path.version);
  if (!errs.empty()) return std::unexpected(invalid_error(ctx, ctx.path.name, errs));
  auto committed = commit_update(ctx, old, std::move(updated));
  if (!committed) return std::unexpected(committed.error());
  return ok(scale_of(t, *committed));
}

result<api_response> api_core::delete_object(const context& ctx) {
  const auto& t = *ctx.type;
  const json* existing = store_.get(t.id(), key_for(ctx));
  if (!existing) return std::unexpected(not_found_error(ctx));
  const json old = *existing;
  json options = json::object();
  if (!ctx.request->body.empty()) {
    try {
      options = json::parse(ctx.request->body);
    } catch (const json::exception& e) {
      return std::unexpected(bad_request(std::string("invalid DeleteOptions: ") + e.what()));
    }
    if (!options.is_object()) return std::unexpected(bad_request("invalid DeleteOptions"));
  }
  if (const json* pre = find_path(options, "preconditions"); pre && pre->is_object()) {
    const std::string uid = pre->value("uid", "");
    if (!uid.empty() && uid != meta_string(old, "uid"))
      return std::unexpected(
          conflict_error(ctx, "Precondition failed: UID in precondition: " + uid +
                                  ", UID in object meta: " + meta_string(old, "uid")));
    const std::string rv = pre->value("resourceVersion", "");
    if (!rv.empty() && rv != meta_string(old, "resourceVersion"))
      return std::unexpected(conflict_error(
          ctx, "Precondition failed: ResourceVersion in precondition: " + rv +
                   ", ResourceVersion in object meta: " + meta_string(old, "resourceVersion")));
  }
  std::string policy = options.value("propagationPolicy", ctx.query.value("propagationPolicy"));
  const json orphan_opt =
      options.contains("orphanDependents") ? options["orphanDependents"] : json();
  if (policy.empty() && orphan_opt.is_boolean())
    policy = orphan_opt.get<bool>() ? "Orphan" : "Background";
  if (policy.empty() && ctx.query.get("orphanDependents"))
    policy = ctx.query.is_true("orphanDependents") ? "Orphan" : "Background";
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground")
    return std::unexpected(
        invalid_error(ctx, ctx.path.name,
                      {not_supported("propagationPolicy", policy,
                                     {"Foreground", "Background", "Orphan", "nil"})}));
  context del = ctx;
  if (const json* dry = find_path(options, "dryRun"); dry && dry->is_array() && !dry->empty())
    del.dry_run = true;

  auto finalizers = string_list(find_path(old, "metadata.finalizers"));
  if (!policy.empty()) {
    std::erase(finalizers, kOrphan);
    std::erase(finalizers, kForeground);
    if (policy == "Orphan") finalizers.push_back(kOrphan);
    if (policy == "Foreground") finalizers.push_back(kForeground);
  }
  if (t.id() == kCrdId &&
      std::find(finalizers.begin(), finalizers.end(), kCrdCleanup) == finalizers.end())
    finalizers.push_back(kCrdCleanup);
  const bool namespace_pending =
      t.id() == "namespaces" && !string_list(find_path(old, "spec.finalizers")).empty();
  if (finalizers.empty() && !namespace_pending) return remove_object(del, old);

  json updated = old;
  json& m = meta_of(updated);
  if (finalizers.empty())
    m.erase("finalizers");
  else
    m["finalizers"] = finalizers;
  if (!has_deletion_timestamp(old)) {
    m["deletionTimestamp"] = now_rfc3339();
    if (m.contains("generation") && m["generation"].is_number_integer())
      m["generation"] = m["generation"].get<int64_t>() + 1;
  }
  m["deletionGracePeriodSeconds"] = 0;
  if (t.id() == "namespaces") updated["status"]["phase"] = "Terminating";
  if (t.id() == kCrdId) {
    json& conditions = updated["status"]["conditions"];
    if (!conditions.is_array()) conditions = json::array();
    conditions.erase(
        std::remove_if(conditions.begin(), conditions.end(),
                       [](const json& c) { return c.value("type", "") == "Terminating"; }),
        conditions.end());
    conditions.push_back({{"type", "Terminating"},
                          {"status", "True"},
                          {"lastTransitionTime", now_rfc3339()},
                          {"reason", "InstanceDeletionPending"},
                          {"message",
                           "CustomResourceDefinition marked for deletion; "
                           "CustomResource deletion will begin soon"}});
  }
  // The generation was handled above; commit must not bump it again for a spec change.
  auto committed = commit_update(del, old, std::move(updated));
  if (!committed) return std::unexpected(committed.error());
  return ok(render(ctx, std::move(*committed)));
}

result<api_response> api_core::remove_object(const context& ctx, const json& existing) {
  const auto& t = *ctx.type;
  json last = existing;
  if (!ctx.dry_run) {
    const std::string key =
        object_key(meta_string(existing, "namespace"), meta_string(existing, "name"));
    last = store_.remove(t.id(), key);
    if (t.id() == kCrdId) on_crd_removed(last);
    notify_change();
  }
  if (t.return_deleted_object) return ok(render(ctx, std::move(last)));
  return ok(success_status(t.group, t.plural, meta_string(existing, "name"),
                           meta_string(existing, "uid")));
}

result<api_response> api_core::delete_collection(const context& ctx) {
  auto sel = selectors(ctx);
  if (!sel) return std::unexpected(sel.error());
  const auto& [labels, fields] = *sel;
  std::vector<json> targets;
  const std::string prefix = ctx.path.ns_in_path ? ctx.path.ns + "/" : "";
  for (const auto& [key, obj] : store_.objects(ctx.type->id())) {
    if (!prefix.empty() && key.compare(0, prefix.size(), prefix) != 0) continue;
    const json* l = find_path(obj, "metadata.labels");
    if (labels.matches(l ? *l : json()) && fields.matches(obj)) targets.push_back(obj);
  }
  json items = json::array();
  for (const auto& obj : targets) {
    context one = ctx;
    one.path.name = meta_string(obj, "name");
    one.path.ns = meta_string(obj, "namespace");
    auto r = delete_object(one);
    if (r && r->body.value("kind", "") != "Status") items.push_back(r->body);
  }
  return ok({{"kind", ctx.type->list_kind},
             {"apiVersion", ctx.type->api_version(ctx.path.version)},
             {"metadata", {{"resourceVersion", std::to_string(store_.current_rv())}}},
             {"items", items}});
}

result<api_response> api_core::finalize_namespace(const context& ctx, json body) {
  const json* existing = store_.get("namespaces", ctx.path.name);
  if (!existing) return std::unexpected(not_found_error(ctx));
  const json old = *existing;
  json updated = old;
  const json* finalizers = find_path(body, "spec.finalizers");
  updated["spec"]["finalizers"] =
      finalizers && finalizers->is_array() ? *finalizers : json::array();
  auto committed = commit_update(ctx, old, std::move(updated));
  if (!committed) return std::unexpected(committed.error());
  return ok(render(ctx, std::move(*committed)));
}

void api_core::on_crd_written(const json& crd) {
  auto type = resource_registry::from_crd(crd);
  if (!type) return;
  type->terminating = has_deletion_timestamp(crd);
  registry_.put(std::make_shared<const resource_type>(std::move(*type)));
}

void api_core::on_crd_removed(const json& crd) {
  auto type = resource_registry::from_crd(crd);
  if (!type) return;
  const std::string id = type->id();
  std::vector<std::string> keys;
  for (const auto& [key, obj] : store_.objects(id)) keys.push_back(key);
  for (const auto& key : keys) store_.remove(id, key);
  registry_.remove(id);
  hub_.close_resource(id);
}

void api_core::establish_crd(const std::string& name) {
  const json* crd = store_.get(kCrdId, name);
  if (!crd) return;
  json updated = *crd;
  const json* names = find_path(updated, "spec.names");
  const std::string now = now_rfc3339();
  updated["status"]["acceptedNames"] = names ? *names : json::object();
  updated["status"]["conditions"] =
      json::array({{{"type", "NamesAccepted"},
                    {"status", "True"},
                    {"lastTransitionTime", now},
                    {"reason", "NoConflicts"},
                    {"message", "no conflicts found"}},
                   {{"type", "Established"},
                    {"status", "True"},
                    {"lastTransitionTime", now},
                    {"reason", "InitialNamesAccepted"},
                    {"message", "the initial names have been accepted"}}});
  store_.update(kCrdId, name, std::move(updated));
}

}  // namespace tern::kube_double
