// Garbage collection after k8s.io/kubernetes/pkg/controller/garbagecollector: an owner is
// "solid" when it exists (same uid) and is not waiting for its dependents; a dependent without
// solid owners is deleted; references to vanished owners are dropped while a solid one remains.
#include "operator/testing/kube_api_double_gc.h"

#include <algorithm>
#include <map>
#include <set>

namespace tern::kube_double {

namespace {

const char* kOrphan = "orphan";
const char* kForeground = "foregroundDeletion";

std::vector<std::string> finalizers_of(const json& object) {
  std::vector<std::string> out;
  if (const json* f = find_path(object, "metadata.finalizers"); f && f->is_array())
    for (const auto& v : *f)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool deleting(const json& object) {
  return !meta_string(object, "deletionTimestamp").empty();
}

json owner_refs(const json& object) {
  const json* refs = find_path(object, "metadata.ownerReferences");
  return refs && refs->is_array() ? *refs : json::array();
}

struct index {
  std::map<std::string, const api_core::stored_object*> by_uid;
  std::map<std::string, std::vector<const api_core::stored_object*>> dependents;  // owner uid
};

index build_index(const std::vector<api_core::stored_object>& objects) {
  index ix;
  for (const auto& o : objects) {
    ix.by_uid[meta_string(o.object, "uid")] = &o;
    for (const auto& ref : owner_refs(o.object)) ix.dependents[ref.value("uid", "")].push_back(&o);
  }
  return ix;
}

api_response send(api_core& core, const std::string& method, const std::string& path,
                  const json& body, const std::string& content_type = "application/json") {
  return core.handle({method, path, content_type, body.is_null() ? "" : body.dump(), true});
}

std::string path_of(const api_core::stored_object& o) {
  return object_path(*o.type, meta_string(o.object, "namespace"), meta_string(o.object, "name"));
}

bool delete_with(api_core& core, const api_core::stored_object& o, const std::string& policy) {
  json options = {{"kind", "DeleteOptions"},
                  {"apiVersion", "v1"},
                  {"preconditions", {{"uid", meta_string(o.object, "uid")}}}};
  if (!policy.empty()) options["propagationPolicy"] = policy;
  send(core, "DELETE", path_of(o), options);
  return true;
}

bool patch_metadata(api_core& core, const api_core::stored_object& o, const char* field,
                    json value) {
  json patch = {
      {"metadata",
       {{field, std::move(value)}, {"resourceVersion", meta_string(o.object, "resourceVersion")}}}};
  send(core, "PATCH", path_of(o), patch, "application/merge-patch+json");
  return true;
}

json without_finalizer(const json& object, const std::string& name) {
  json out = json::array();
  for (const auto& f : finalizers_of(object))
    if (f != name) out.push_back(f);
  return out.empty() ? json() : out;
}

}  // namespace

bool garbage_collector::run_once() {
  const auto objects = core_.snapshot();
  const index ix = build_index(objects);
  bool acted = false;

  // Dependents whose owners are gone or waiting for their dependents.
  for (const auto& o : objects) {
    const json refs = owner_refs(o.object);
    if (refs.empty()) continue;
    const std::string ns = meta_string(o.object, "namespace");
    json keep = json::array();
    bool solid = false, waiting = false, dropped = false;
    for (const auto& ref : refs) {
      auto it = ix.by_uid.find(ref.value("uid", ""));
      const api_core::stored_object* owner = it == ix.by_uid.end() ? nullptr : it->second;
      bool valid = owner && owner->type->kind == ref.value("kind", "") &&
                   meta_string(owner->object, "name") == ref.value("name", "");
      if (valid && owner->type->namespaced) valid = meta_string(owner->object, "namespace") == ns;
      if (!valid) {
        dropped = true;
        continue;
      }
      if (deleting(owner->object) && has(finalizers_of(owner->object), kForeground)) {
        waiting = true;
        dropped = true;
        continue;
      }
      solid = true;
      keep.push_back(ref);
    }
    if (solid) {
      if (dropped) acted = patch_metadata(core_, o, "ownerReferences", keep) || acted;
      continue;
    }
    if (deleting(o.object)) continue;
    std::string policy;
    const auto own = finalizers_of(o.object);
    if (has(own, kOrphan))
      policy = "Orphan";
    else if (has(own, kForeground))
      policy = "Foreground";
    else if (waiting && ix.dependents.count(meta_string(o.object, "uid")))
      policy = "Foreground";
    else
      policy = "Background";
    acted = delete_with(core_, o, policy) || acted;
  }

  // Owners being deleted with the foreground or orphan policy.
  for (const auto& o : objects) {
    if (!deleting(o.object)) continue;
    const auto own = finalizers_of(o.object);
    const std::string uid = meta_string(o.object, "uid");
    auto deps = ix.dependents.find(uid);
    if (has(own, kOrphan)) {
      if (deps != ix.dependents.end()) {
        for (const auto* d : deps->second) {
          json keep = json::array();
          for (const auto& ref : owner_refs(d->object))
            if (ref.value("uid", "") != uid) keep.push_back(ref);
          patch_metadata(core_, *d, "ownerReferences", keep.empty() ? json() : keep);
        }
        acted = true;
        continue;  // the finalizer goes on the next pass, once no dependent refers to us
      }
      acted = patch_metadata(core_, o, "finalizers", without_finalizer(o.object, kOrphan)) || acted;
      continue;
    }
    if (has(own, kForeground)) {
      bool blocked = false;
      if (deps != ix.dependents.end())
        for (const auto* d : deps->second)
          for (const auto& ref : owner_refs(d->object))
            if (ref.value("uid", "") == uid && ref.value("blockOwnerDeletion", false))
              blocked = true;
      if (!blocked)
        acted = patch_metadata(core_, o, "finalizers", without_finalizer(o.object, kForeground)) ||
                acted;
    }
  }
  return acted;
}

bool lifecycle_controller::run_once() {
  const auto objects = core_.snapshot();
  bool acted = false;
  for (const auto& o : objects) {
    if (!deleting(o.object)) continue;
    const std::string id = o.type->id();
    if (id == "namespaces") {
      const std::string ns = meta_string(o.object, "name");
      bool content = false;
      for (const auto& c : objects) {
        if (!c.type->namespaced || meta_string(c.object, "namespace") != ns) continue;
        content = true;
        if (!deleting(c.object)) acted = delete_with(core_, c, "Background") || acted;
      }
      const json* spec_finalizers = find_path(o.object, "spec.finalizers");
      if (!content && spec_finalizers && spec_finalizers->is_array() && !spec_finalizers->empty()) {
        json body = o.object;
        json remaining = json::array();
        for (const auto& f : *spec_finalizers)
          if (f != "kubernetes") remaining.push_back(f);
        body["spec"]["finalizers"] = remaining;
        send(core_, "PUT", "/api/v1/namespaces/" + ns + "/finalize", body);
        acted = true;
      }
    } else if (id == "customresourcedefinitions.apiextensions.k8s.io") {
      const auto own = finalizers_of(o.object);
      if (!has(own, "customresourcecleanup.apiextensions.k8s.io")) continue;
      const std::string served = meta_string(o.object, "name");
      bool instances = false;
      for (const auto& c : objects) {
        if (c.type->id() != served) continue;
        instances = true;
        if (!deleting(c.object)) acted = delete_with(core_, c, "") || acted;
      }
      if (!instances)
        acted = patch_metadata(
                    core_, o, "finalizers",
                    without_finalizer(o.object, "customresourcecleanup.apiextensions.k8s.io")) ||
                acted;
    }
  }
  return acted;
}

}  // namespace tern::kube_double
