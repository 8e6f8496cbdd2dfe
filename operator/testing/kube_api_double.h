// A Kubernetes API server test double for the operator's tests: an HTTP server on 127.0.0.1
// that follows the real API's semantics (resourceVersion and generation, 409 Conflict, list and
// watch with bookmarks and 410 Gone, status and scale subresources, merge and JSON patch,
// finalizers, ownerReferences garbage collection, CRD defaults and validation) for built-in
// kinds and for custom resources of the CRDs it is given.
//
//   tern::kube_double::kube_api_double api;           // listening on 127.0.0.1:<port()>
//   api.load_crds("charts/tern/crds/tern.dev_topics.yaml");
//   ... point the client at api.url() ...
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/testing/kube_api_double_core.h"

namespace tern::kube_double {

struct kube_api_double_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, read it back with port()
  // Watches that ask for bookmarks get one this often (the real server: about a minute).
  std::chrono::milliseconds bookmark_interval{1000};
  // Watches without timeoutSeconds end after this long, as the real server's request timeout.
  std::chrono::seconds default_watch_timeout{1800};
  // Changes kept for watches and list pages from an older resourceVersion.
  size_t history_limit = 10000;
  // How long after a change the garbage collector and cleanup controllers look at it.
  std::chrono::milliseconds controller_delay{10};
  // When set, HTTP requests need "Authorization: Bearer <token>" or get 401.
  std::string bearer_token;
  // Namespaces that exist from the start, as in a fresh cluster.
  std::vector<std::string> namespaces = {"default", "kube-system", "kube-public",
                                         "kube-node-lease"};
};

struct kube_response {
  int status = 0;
  json body;
};

class kube_api_double {
 public:
  // Starts listening and serving in a thread of its own. Throws std::runtime_error when it
  // cannot listen.
  explicit kube_api_double(kube_api_double_options options = {});
  ~kube_api_double();
  kube_api_double(const kube_api_double&) = delete;
  kube_api_double& operator=(const kube_api_double&) = delete;

  uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  // Closes every connection and stops the threads. Idempotent; the destructor calls it.
  void stop();

  // The same semantics as over HTTP, without the network: `target` is a path with query.
  kube_response request(const std::string& method, const std::string& target,
                        const json& body = nullptr,
                        const std::string& content_type = "application/json");
  // The object at `path`, or nullopt when the server answers 404.
  std::optional<json> get(const std::string& path);
  // Creates the CRD, or replaces it when one of that name exists.
  std::expected<void, std::string> apply_crd(const json& crd);
  // Every CustomResourceDefinition document in a YAML file; returns how many.
  std::expected<size_t, std::string> load_crds(const std::string& yaml_file);

  // Test hooks.
  // Forget the change history: a watch or list page from any earlier resourceVersion gets
  // 410 Gone (an ERROR event for watches).
  void compact_history();
  // Cut every open watch connection without ending its chunked stream.
  void drop_watches();
  // The next request whose method matches ("*" for any) and whose target contains
  // `path_substring` gets a Status with this HTTP code instead of being served. Queued in order.
  void fail_next(std::string method, std::string path_substring, int code);
  size_t open_watches() const;
  uint64_t resource_version() const;
  // Requests served so far (not the double's own controllers).
  std::vector<request_record> requests() const;
  void clear_requests();
  // Changes the token HTTP requests must carry, as when a service-account token rotates.
  void set_bearer_token(std::string token);
  // Runs the garbage collector and cleanup controllers until they have nothing left to do,
  // instead of waiting for their background pass.
  void run_controllers();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tern::kube_double
