// A synchronous Kubernetes API client over cpprestsdk: CRUD, patch, paged list and streaming
// watch, with bearer-token rotation and TLS from a `connection`. Calls block the calling
// thread (the controllers run on worker threads); one client may be used from many threads.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "operator/k8s/connection.h"
#include "operator/k8s/resource.h"

namespace tern::op::k8s {

struct api_error {
  int status = 0;       // HTTP status; 0 = transport failure (no answer)
  std::string reason;   // the Status reason: Conflict, NotFound, AlreadyExists, Gone, Invalid...
  std::string message;  // the Status message, or the transport error

  bool not_found() const { return status == 404; }
  bool conflict() const { return status == 409 && reason != "AlreadyExists"; }
  bool already_exists() const { return status == 409 && reason == "AlreadyExists"; }
  bool gone() const { return status == 410; }
  std::string to_string() const;
};

template <class T>
using result = std::expected<T, api_error>;

enum class patch_type { merge, json, strategic };

enum class watch_end {
  closed,   // the server ended the stream (timeout, restart, dropped connection): re-watch
  gone,     // 410 Gone, as an HTTP status or an ERROR event: re-list
  error,    // any other failure: back off, then re-watch
  stopped,  // the stop_token asked for it
};

class client {
 public:
  explicit client(connection c);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  result<nlohmann::json> get(const resource& r, std::string_view ns, std::string_view name,
                             std::string_view subresource = {});
  // Follows limit/continue pages; returns the List object with every item and the list's
  // metadata.resourceVersion (the one to watch from).
  result<nlohmann::json> list(const resource& r, std::string_view ns,
                              std::string_view label_selector = {});
  result<nlohmann::json> create(const resource& r, std::string_view ns,
                                const nlohmann::json& object);
  // PUT. With subresource "status" only the status changes. A stale
  // metadata.resourceVersion gives conflict().
  result<nlohmann::json> update(const resource& r, std::string_view ns, std::string_view name,
                                const nlohmann::json& object, std::string_view subresource = {});
  result<nlohmann::json> patch(const resource& r, std::string_view ns, std::string_view name,
                               const nlohmann::json& patch, patch_type type,
                               std::string_view subresource = {});
  // A 404 is an error the caller can test with not_found().
  result<void> remove(const resource& r, std::string_view ns, std::string_view name,
                      std::string_view propagation = "Background");

  // Streams events until the server ends the stream, an error, or `stop`. Bookmarks are asked
  // for and handed to `on_event` as type "BOOKMARK" (only metadata.resourceVersion is
  // meaningful). ERROR events are not handed on: they end the watch (gone for 410). An empty
  // `resource_version` starts with synthetic ADDED events for every object. `on_event` runs on
  // the calling thread.
  watch_end watch(
      const resource& r, std::string_view ns, std::string_view resource_version,
      std::string_view label_selector, int timeout_seconds,
      const std::function<void(std::string_view type, const nlohmann::json& object)>& on_event,
      std::stop_token stop);

  const connection& config() const;
  // Items per list page (default 500); small values are for tests.
  void set_page_size(int items);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tern::op::k8s
