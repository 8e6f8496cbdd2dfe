// Request dispatch, reads (get, list with selectors and pages, scale), watches and test hooks.
// Writes live in kube_api_double_core_write.cc.
#include "operator/testing/kube_api_double_core.h"

#include <algorithm>
#include <charconv>

namespace tern::kube_double {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::pair<std::string, std::string> split_target(const std::string& target) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {target, ""};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<uint64_t> parse_rv(const std::string& text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

api_response ok(json body, int status = 200) {
  return api_response{status, std::move(body), {}};
}

constexpr size_t kRequestLogLimit = 100000;

const char* kContinueTooOld =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list.";

}  // namespace

std::string object_path(const resource_type& type, const std::string& ns, const std::string& name,
                        const std::string& subresource) {
  std::string path = type.group.empty() ? "/api/" + type.storage_version
                                        : "/apis/" + type.group + "/" + type.storage_version;
  if (type.namespaced) path += "/namespaces/" + ns;
  path += "/" + type.plural;
  if (!name.empty()) path += "/" + name;
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

api_core::api_core(core_options options)
    : options_(std::move(options)), store_(options_.history_limit) {
  store_.set_listener([this](const store_event& e) { hub_.publish(e); });
  auto ns_type = registry_.find("", "v1", "namespaces");
  for (const auto& name : options_.namespaces) {
    api_request req{
        "POST", "/api/v1/namespaces", "application/json",
        json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}.dump(),
        true};
    dispatch(req);
  }
}

api_response api_core::handle(const api_request& request) {
  std::lock_guard lock(mutex_);
  if (!request.internal) {
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if ((it->method == "*" || upper(it->method) == upper(request.method)) &&
          request.target.find(it->path_substring) != std::string::npos) {
        api_error err =
            from_code(it->code, "injected failure for " + request.method + " " + request.target);
        failures_.erase(it);
        requests_.push_back({request.method, request.target, err.code});
        return ok(err.to_status(), err.code);
      }
    }
  }
  api_response resp = dispatch(request);
  if (!request.internal) {
    // A long-running process keeps the most recent requests only.
    if (requests_.size() >= kRequestLogLimit)
      requests_.erase(requests_.begin(), requests_.begin() + kRequestLogLimit / 2);
    requests_.push_back({request.method, request.target, resp.status});
  }
  return resp;
}

api_response api_core::dispatch(const api_request& request) {
  auto [path, query] = split_target(request.target);
  const route r = parse_route(path);
  switch (r.what) {
    case route::target::root:
      return ok({{"paths", json::array({"/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz",
                                        "/version"})}});
    case route::target::version:
      return ok({{"major", "1"},
                 {"minor", "29"},
                 {"gitVersion", "v1.29.0"},
                 {"gitCommit", "tern-kube-double"},
                 {"gitTreeState", "clean"},
                 {"buildDate", "2024-01-01T00:00:00Z"},
                 {"goVersion", "go1.21"},
                 {"compiler", "gc"},
                 {"platform", "linux/amd64"}});
    case route::target::health:
      return api_response{200, nullptr, "ok"};
    case route::target::core_versions:
      return ok(registry_.core_versions(options_.server_address));
    case route::target::group_list:
      return ok(registry_.group_list());
    case route::target::group:
      if (auto g = registry_.group(r.group)) return ok(*g);
      break;
    case route::target::resource_list:
      if (auto l = registry_.resource_list(r.group, r.version)) return ok(*l);
      break;
    case route::target::resource: {
      auto ctx = resolve(request);
      if (!ctx) return ok(ctx.error().to_status(), ctx.error().code);
      auto resp = dispatch_resource(*ctx);
      if (!resp) return ok(resp.error().to_status(), resp.error().code);
      return *resp;
    }
    case route::target::unknown:
      break;
  }
  const api_error err = path_not_found();
  return ok(err.to_status(), err.code);
}

result<api_core::context> api_core::resolve(const api_request& request) const {
  auto [path, query] = split_target(request.target);
  context ctx;
  ctx.path = parse_route(path);
  ctx.query = query_params::parse(query);
  ctx.request = &request;
  ctx.type = registry_.find(ctx.path.group, ctx.path.version, ctx.path.plural);
  if (!ctx.type) return std::unexpected(path_not_found());
  const auto& t = *ctx.type;
  // A namespaced object is addressed through its namespace; a cluster-scoped one never is.
  if (t.namespaced && !ctx.path.ns_in_path && !ctx.path.name.empty())
    return std::unexpected(path_not_found());
  if (!t.namespaced && ctx.path.ns_in_path) return std::unexpected(path_not_found());
  const auto& sub = ctx.path.subresource;
  if (!sub.empty()) {
    const bool known = (sub == "status" && t.status_subresource) || (sub == "scale" && t.scale) ||
                       (sub == "finalize" && t.id() == "namespaces");
    if (!known) return std::unexpected(path_not_found());
  }
  ctx.dry_run = ctx.query.value("dryRun") == "All";
  return ctx;
}

result<api_response> api_core::dispatch_resource(context& ctx) {
  const std::string method = upper(ctx.request->method);
  const bool named = !ctx.path.name.empty();
  const auto& sub = ctx.path.subresource;
  if (method == "GET") {
    if (ctx.path.legacy_watch || ctx.query.is_true("watch"))
      return std::unexpected(bad_request("watch requests need a streaming connection"));
    if (!named) return list_objects(ctx);
    if (sub == "scale") return get_scale(ctx);
    return get_object(ctx);
  }
  if (method == "POST") {
    if (named || (!ctx.path.ns_in_path && ctx.type->namespaced))
      return std::unexpected(method_not_allowed());
    auto body = decode_body(ctx);
    if (!body) return std::unexpected(body.error());
    return create_object(ctx, std::move(*body));
  }
  if (method == "PUT") {
    if (!named) return std::unexpected(method_not_allowed());
    auto body = decode_body(ctx);
    if (!body) return std::unexpected(body.error());
    if (sub == "scale") return update_scale(ctx, std::move(*body));
    if (sub == "finalize") return finalize_namespace(ctx, std::move(*body));
    return update_object(ctx, std::move(*body), false);
  }
  if (method == "PATCH") {
    if (!named || sub == "finalize") return std::unexpected(method_not_allowed());
    return patch_object(ctx);
  }
  if (method == "DELETE") {
    if (!sub.empty()) return std::unexpected(method_not_allowed());
    if (!named) return delete_collection(ctx);
    return delete_object(ctx);
  }
  return std::unexpected(method_not_allowed());
}

std::string api_core::key_for(const context& ctx) const {
  return object_key(ctx.type->namespaced ? ctx.path.ns : "", ctx.path.name);
}

api_error api_core::not_found_error(const context& ctx) const {
  return not_found(ctx.type->id(), ctx.type->group, ctx.type->plural, ctx.path.name);
}

api_error api_core::conflict_error(const context& ctx, const std::string& why) const {
  return conflict(ctx.type->id(), ctx.type->group, ctx.type->plural, ctx.path.name, why);
}

api_error api_core::invalid_error(const context& ctx, const std::string& name,
                                  const std::vector<field_error>& errs) const {
  return invalid_object(ctx.type->qualified_kind(), ctx.type->group, ctx.type->kind, name, errs);
}

json api_core::render(const context& ctx, json object) const {
  return object_for_version(std::move(object), *ctx.type, ctx.path.version);
}

result<api_response> api_core::get_object(const context& ctx) const {
  const json* obj = store_.get(ctx.type->id(), key_for(ctx));
  if (!obj) return std::unexpected(not_found_error(ctx));
  return ok(render(ctx, *obj));
}

result<std::pair<label_selector, field_selector>> api_core::selectors(const context& ctx) const {
  auto labels = label_selector::parse(ctx.query.value("labelSelector"));
  if (!labels) return std::unexpected(bad_request(labels.error()));
  auto fields = field_selector::parse(ctx.query.value("fieldSelector"));
  if (!fields) return std::unexpected(bad_request(fields.error()));
  for (const auto& r : fields->requirements()) {
    const auto& allowed = ctx.type->field_labels;
    if (r.field != "metadata.name" && r.field != "metadata.namespace" &&
        std::find(allowed.begin(), allowed.end(), r.field) == allowed.end())
      return std::unexpected(bad_request("field label not supported: " + r.field));
  }
  return std::pair{std::move(*labels), std::move(*fields)};
}

result<api_response> api_core::list_objects(const context& ctx) const {
  auto sel = selectors(ctx);
  if (!sel) return std::unexpected(sel.error());
  const auto& [labels, fields] = *sel;

  long long limit = 0;
  // resourceVersion=0 lists are served from the watch cache, which ignores limit.
  const bool from_cache = ctx.query.value("resourceVersion") == "0";
  if (auto l = ctx.query.get("limit"); l && !from_cache) {
    try {
      limit = std::stoll(*l);
    } catch (const std::exception&) {
      limit = 0;
    }
  }
  uint64_t list_rv = store_.current_rv();
  std::string start;
  std::optional<object_store::objects_map> state;
  if (auto token = ctx.query.get("continue"); token && !token->empty()) {
    json decoded;
    try {
      decoded = json::parse(base64_decode(*token));
    } catch (const json::exception&) {
      return std::unexpected(bad_request("continue key is not valid: illegal base64 data"));
    }
    if (!decoded.is_object() || decoded.value("v", "") != "meta.k8s.io/v1" ||
        !decoded.contains("rv") || !decoded["rv"].is_number_integer())
      return std::unexpected(
          bad_request("continue key is not valid: incorrect encoded start resourceVersion (version "
                      "meta.k8s.io/v1)"));
    list_rv = decoded["rv"].get<uint64_t>();
    start = decoded.value("start", "");
    state = store_.state_at(ctx.type->id(), list_rv);
    if (!state) return std::unexpected(expired(kContinueTooOld));
  } else if (auto rv = ctx.query.get("resourceVersion");
             rv && !rv->empty() && ctx.query.value("resourceVersionMatch") == "Exact") {
    auto parsed = parse_rv(*rv);
    if (!parsed) return std::unexpected(bad_request("invalid resource version: " + *rv));
    list_rv = *parsed;
    state = store_.state_at(ctx.type->id(), list_rv);
    if (!state)
      return std::unexpected(expired("too old resource version: " + *rv + " (" +
                                     std::to_string(store_.history_floor() + 1) + ")"));
  } else {
    state = store_.objects(ctx.type->id());
  }

  const std::string prefix = ctx.path.ns_in_path ? ctx.path.ns + "/" : "";
  json items = json::array();
  std::string last_key;
  size_t remaining = 0;
  bool more = false;
  for (auto it = state->lower_bound(std::max(start, prefix)); it != state->end(); ++it) {
    if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0) break;
    const json& obj = it->second;
    const json* obj_labels = find_path(obj, "metadata.labels");
    if (!labels.matches(obj_labels ? *obj_labels : json()) || !fields.matches(obj)) continue;
    if (limit > 0 && static_cast<long long>(items.size()) >= limit) {
      more = true;
      ++remaining;
      continue;
    }
    json item = render(ctx, obj);
    // Typed lists of built-in kinds leave apiVersion and kind off their items.
    if (!ctx.type->custom) {
      item.erase("apiVersion");
      item.erase("kind");
    }
    items.push_back(std::move(item));
    last_key = it->first;
  }
  json meta = {{"resourceVersion", std::to_string(list_rv)}};
  if (more) {
    json token = {
        {"v", "meta.k8s.io/v1"}, {"rv", list_rv}, {"start", last_key + std::string(1, '\0')}};
    meta["continue"] = base64_encode(token.dump());
    if (labels.empty() && fields.empty()) meta["remainingItemCount"] = remaining;
  }
  return ok({{"kind", ctx.type->list_kind},
             {"apiVersion", ctx.type->api_version(ctx.path.version)},
             {"metadata", meta},
             {"items", items}});
}

json api_core::scale_of(const resource_type& type, const json& object) const {
  const auto& paths = *type.scale;
  const json* spec = find_path(object, paths.spec_replicas);
  const json* status = find_path(object, paths.status_replicas);
  json scale = {{"kind", "Scale"},
                {"apiVersion", "autoscaling/v1"},
                {"metadata",
                 {{"name", meta_string(object, "name")},
                  {"uid", meta_string(object, "uid")},
                  {"resourceVersion", meta_string(object, "resourceVersion")},
                  {"creationTimestamp", meta_string(object, "creationTimestamp")}}},
                {"spec", {{"replicas", spec && spec->is_number() ? *spec : json(0)}}},
                {"status", {{"replicas", status && status->is_number() ? *status : json(0)}}}};
  if (type.namespaced) scale["metadata"]["namespace"] = meta_string(object, "namespace");
  if (paths.selector_from_spec) {
    if (const json* sel = find_path(object, "spec.selector")) {
      if (auto s = label_selector::from_object(*sel)) scale["status"]["selector"] = s->to_string();
    }
  } else if (!paths.label_selector.empty()) {
    if (const json* sel = find_path(object, paths.label_selector); sel && sel->is_string())
      scale["status"]["selector"] = *sel;
  }
  return scale;
}

result<api_response> api_core::get_scale(const context& ctx) const {
  const json* obj = store_.get(ctx.type->id(), key_for(ctx));
  if (!obj) return std::unexpected(not_found_error(ctx));
  return ok(scale_of(*ctx.type, *obj));
}

bool api_core::is_watch(const api_request& request) const {
  auto [path, query] = split_target(request.target);
  if (upper(request.method) != "GET") return false;
  const route r = parse_route(path);
  if (r.what != route::target::resource || !r.name.empty()) return false;
  return r.legacy_watch || query_params::parse(query).is_true("watch");
}

result<api_core::watch_session> api_core::open_watch(const api_request& request,
                                                     std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if ((it->method == "*" || upper(it->method) == "GET") &&
        request.target.find(it->path_substring) != std::string::npos) {
      api_error err = from_code(it->code, "injected failure for GET " + request.target);
      failures_.erase(it);
      requests_.push_back({request.method, request.target, err.code});
      return std::unexpected(err);
    }
  }
  auto ctx = resolve(request);
  if (!ctx) {
    requests_.push_back({request.method, request.target, ctx.error().code});
    return std::unexpected(ctx.error());
  }
  auto sel = selectors(*ctx);
  if (!sel) {
    requests_.push_back({request.method, request.target, sel.error().code});
    return std::unexpected(sel.error());
  }
  watch_filter filter;
  filter.type = ctx->type;
  filter.version = ctx->path.version;
  filter.ns = ctx->path.ns_in_path ? ctx->path.ns : "";
  filter.labels = std::move(sel->first);
  filter.fields = std::move(sel->second);
  filter.bookmarks = ctx->query.is_true("allowWatchBookmarks");

  watch_session session;
  if (auto t = ctx->query.get("timeoutSeconds")) {
    try {
      session.timeout = std::chrono::seconds(std::stoll(*t));
    } catch (const std::exception&) {
    }
  }
  const std::string rv_text = ctx->query.value("resourceVersion");
  std::optional<uint64_t> from;
  if (!rv_text.empty() && rv_text != "0") {
    from = parse_rv(rv_text);
    if (!from) {
      api_error err = bad_request("invalid resource version: " + rv_text);
      requests_.push_back({request.method, request.target, err.code});
      return std::unexpected(err);
    }
  }
  requests_.push_back({request.method, request.target, 200});
  session.channel = hub_.open(filter, std::move(wake));
  auto& channel = *session.channel;
  if (!from) {
    // Synthetic ADDED events for the current state, then live events.
    for (const auto& [key, obj] : store_.objects(filter.type->id()))
      if (filter.matches(obj))
        channel.push(render_line("ADDED", object_for_version(obj, *filter.type, filter.version)));
    return session;
  }
  auto events = store_.events_after(*from);
  if (!events) {
    hub_.forget(session.channel);
    channel.push(error_line(expired("too old resource version: " + rv_text + " (" +
                                    std::to_string(store_.history_floor() + 1) + ")")));
    channel.close(false);
    return session;
  }
  for (const store_event* e : *events) {
    if (e->resource != filter.type->id()) continue;
    if (auto line = render_event(filter, *e)) channel.push(std::move(*line));
  }
  return session;
}

void api_core::close_watch(const watch_ptr& channel) {
  hub_.forget(channel);
}

void api_core::push_bookmark(const watch_ptr& channel) {
  std::lock_guard lock(mutex_);
  channel->push(bookmark_line(channel->filter(), store_.current_rv()));
}

void api_core::compact_history() {
  std::lock_guard lock(mutex_);
  store_.compact();
}

void api_core::drop_watches() {
  hub_.drop_all();
}

size_t api_core::open_watches() const {
  return hub_.size();
}

uint64_t api_core::resource_version() const {
  std::lock_guard lock(mutex_);
  return store_.current_rv();
}

void api_core::fail_next(std::string method, std::string path_substring, int code) {
  std::lock_guard lock(mutex_);
  failures_.push_back({std::move(method), std::move(path_substring), code});
}

std::vector<request_record> api_core::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void api_core::clear_requests() {
  std::lock_guard lock(mutex_);
  requests_.clear();
}

void api_core::set_bearer_token(std::string token) {
  std::lock_guard lock(mutex_);
  bearer_token_ = std::move(token);
}

bool api_core::authorized(std::string_view authorization_header) const {
  std::lock_guard lock(mutex_);
  return bearer_token_.empty() || authorization_header == "Bearer " + bearer_token_;
}

void api_core::set_server_address(std::string address) {
  std::lock_guard lock(mutex_);
  options_.server_address = std::move(address);
}

std::vector<api_core::stored_object> api_core::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<stored_object> out;
  for (const auto& id : store_.resources()) {
    auto type = registry_.find_id(id);
    if (!type) continue;
    for (const auto& [key, obj] : store_.objects(id)) out.push_back({type, obj});
  }
  return out;
}

resource_ptr api_core::find_kind(const std::string& api_version, const std::string& kind) const {
  std::lock_guard lock(mutex_);
  return registry_.find_kind(api_version, kind);
}

void api_core::set_change_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  change_listener_ = std::move(listener);
}

void api_core::notify_change() {
  if (change_listener_) change_listener_();
}

}  // namespace tern::kube_double
