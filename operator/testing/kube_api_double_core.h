// The API server's request semantics without the network: routing to resources, create, get,
// list, update, patch, delete, the status and scale subresources, and opening watches. One lock
// guards the registry and the store; every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/testing/kube_api_double_resources.h"
#include "operator/testing/kube_api_double_router.h"
#include "operator/testing/kube_api_double_status.h"
#include "operator/testing/kube_api_double_store.h"
#include "operator/testing/kube_api_double_watch.h"

namespace tern::kube_double {

struct api_request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path with query string
  std::string content_type;
  std::string body;
  bool internal = false;  // from the double's own controllers: not logged, never failed on purpose
};

struct api_response {
  int status = 200;
  json body;         // a JSON document, or null when `text` is the body
  std::string text;  // plain-text bodies (/healthz)
};

struct request_record {
  std::string method;
  std::string target;
  int status = 0;
};

struct core_options {
  size_t history_limit = 10000;
  std::vector<std::string> namespaces = {"default", "kube-system", "kube-public",
                                         "kube-node-lease"};
  std::string server_address = "127.0.0.1:0";
};

class api_core {
 public:
  explicit api_core(core_options options);

  api_response handle(const api_request& request);

  struct watch_session {
    watch_ptr channel;
    std::optional<std::chrono::seconds> timeout;  // timeoutSeconds
  };
  bool is_watch(const api_request& request) const;
  // The watch's first lines (synthetic ADDED events, or the history after resourceVersion, or a
  // 410 ERROR) are queued before this returns; `wake` is called whenever lines are queued.
  result<watch_session> open_watch(const api_request& request, std::function<void()> wake);
  void close_watch(const watch_ptr& channel);
  void push_bookmark(const watch_ptr& channel);

  // Test hooks.
  void compact_history();
  void drop_watches();
  size_t open_watches() const;
  uint64_t resource_version() const;
  void fail_next(std::string method, std::string path_substring, int code);
  std::vector<request_record> requests() const;
  void clear_requests();
  void set_server_address(std::string address);
  // Requests over HTTP must carry "Authorization: Bearer <token>"; empty turns the check off.
  void set_bearer_token(std::string token);
  bool authorized(std::string_view authorization_header) const;

  // For the double's controllers (garbage collector, namespace and CRD cleanup).
  struct stored_object {
    resource_ptr type;
    json object;
  };
  std::vector<stored_object> snapshot() const;
  resource_ptr find_kind(const std::string& api_version, const std::string& kind) const;
  // Called after every committed write, with no lock held by the callee's contract.
  void set_change_listener(std::function<void()> listener);

 private:
  struct context {
    route path;
    query_params query;
    resource_ptr type;
    const api_request* request = nullptr;
    bool dry_run = false;
  };
  struct injected_failure {
    std::string method, path_substring;
    int code = 500;
  };

  api_response dispatch(const api_request& request);
  result<api_response> dispatch_resource(context& ctx);
  result<context> resolve(const api_request& request) const;

  // Reads.
  result<api_response> get_object(const context& ctx) const;
  result<api_response> list_objects(const context& ctx) const;
  result<api_response> get_scale(const context& ctx) const;

  // Writes.
  result<api_response> create_object(const context& ctx, json body);
  result<api_response> update_object(const context& ctx, json body, bool is_patch);
  result<api_response> patch_object(const context& ctx);
  result<api_response> update_scale(const context& ctx, json scale);
  result<api_response> delete_object(const context& ctx);
  result<api_response> delete_collection(const context& ctx);
  result<api_response> finalize_namespace(const context& ctx, json body);

  result<json> decode_body(const context& ctx) const;
  void apply_defaults(json& object, const resource_type& type, const std::string& version) const;
  std::vector<field_error> validate(const json& object, const resource_type& type,
                                    const std::string& version) const;
  result<json> commit_update(const context& ctx, const json& existing, json updated);
  result<api_response> remove_object(const context& ctx, const json& existing);
  json render(const context& ctx, json object) const;
  json scale_of(const resource_type& type, const json& object) const;
  std::string key_for(const context& ctx) const;
  api_error not_found_error(const context& ctx) const;
  api_error conflict_error(const context& ctx, const std::string& why) const;
  api_error invalid_error(const context& ctx, const std::string& name,
                          const std::vector<field_error>& errs) const;
  result<std::pair<label_selector, field_selector>> selectors(const context& ctx) const;

  // CRDs: the resource type follows the CRD object.
  void on_crd_written(const json& crd);
  void on_crd_removed(const json& crd);
  void establish_crd(const std::string& name);
  void notify_change();

  mutable std::mutex mutex_;
  core_options options_;
  resource_registry registry_;
  object_store store_;
  watch_hub hub_;
  std::deque<injected_failure> failures_;
  std::vector<request_record> requests_;
  std::function<void()> change_listener_;
  std::string bearer_token_;
};

// "/api/v1/namespaces/ns/configmaps/name" for an object of `type`.
std::string object_path(const resource_type& type, const std::string& ns, const std::string& name,
                        const std::string& subresource = "");

}  // namespace tern::kube_double
