// Watches: each open watch is a channel of newline-delimited JSON events that the hub fills as
// the store changes and the HTTP connection drains. Filtering follows the real watch cache: an
// object that stops matching a selector arrives as DELETED, one that starts matching as ADDED.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operator/testing/kube_api_double_resources.h"
#include "operator/testing/kube_api_double_selectors.h"
#include "operator/testing/kube_api_double_store.h"

namespace tern::kube_double {

struct watch_filter {
  resource_ptr type;
  std::string version;
  std::string ns;  // empty: every namespace
  label_selector labels;
  field_selector fields;
  bool bookmarks = false;

  bool matches(const json& object) const;
};

class watch_channel {
 public:
  watch_channel(watch_filter filter, std::function<void()> wake);

  const watch_filter& filter() const { return filter_; }

  void push(std::string line);
  // `abrupt`: the connection is cut without the terminating chunk, as when the server dies.
  void close(bool abrupt);

  struct batch {
    std::vector<std::string> lines;
    bool closed = false;
    bool abrupt = false;
  };
  batch take();
  // Lines are queued or the channel is closed.
  bool ready();

 private:
  watch_filter filter_;
  std::function<void()> wake_;
  std::mutex mutex_;
  std::deque<std::string> lines_;
  bool closed_ = false;
  bool abrupt_ = false;
};

using watch_ptr = std::shared_ptr<watch_channel>;

class watch_hub {
 public:
  watch_ptr open(watch_filter filter, std::function<void()> wake);
  void forget(const watch_ptr& channel);
  // Store listener: queues the event on every matching watch.
  void publish(const store_event& event);
  void drop_all();
  // Ends the watches of a resource that stopped being served (its CRD is gone).
  void close_resource(const std::string& resource_id);
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::set<watch_ptr> channels_;
};

// The object as served at `version`: apiVersion and kind set for the request's version.
json object_for_version(json object, const resource_type& type, const std::string& version);
// The line for `event` as seen through `filter`, or nullopt when the watcher is not interested.
std::optional<std::string> render_event(const watch_filter& filter, const store_event& event);
std::string render_line(const char* type, const json& object);
std::string bookmark_line(const watch_filter& filter, uint64_t rv);
std::string error_line(const api_error& error);

}  // namespace tern::kube_double
