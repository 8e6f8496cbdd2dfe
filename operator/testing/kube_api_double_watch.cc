// Watch channels, the hub that feeds them, and event rendering.
#include "operator/testing/kube_api_double_watch.h"

namespace tern::kube_double {

bool watch_filter::matches(const json& object) const {
  if (!ns.empty() && meta_string(object, "namespace") != ns) return false;
  const json* labels_json = find_path(object, "metadata.labels");
  if (!labels.matches(labels_json ? *labels_json : json())) return false;
  return fields.matches(object);
}

watch_channel::watch_channel(watch_filter filter, std::function<void()> wake)
    : filter_(std::move(filter)), wake_(std::move(wake)) {}

void watch_channel::push(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    lines_.push_back(std::move(line));
  }
  if (wake_) wake_();
}

void watch_channel::close(bool abrupt) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    abrupt_ = abrupt;
    if (abrupt) lines_.clear();
  }
  if (wake_) wake_();
}

watch_channel::batch watch_channel::take() {
  std::lock_guard lock(mutex_);
  batch b;
  b.lines.assign(std::make_move_iterator(lines_.begin()), std::make_move_iterator(lines_.end()));
  lines_.clear();
  b.closed = closed_;
  b.abrupt = abrupt_;
  return b;
}

bool watch_channel::ready() {
  std::lock_guard lock(mutex_);
  return closed_ || !lines_.empty();
}

watch_ptr watch_hub::open(watch_filter filter, std::function<void()> wake) {
  auto channel = std::make_shared<watch_channel>(std::move(filter), std::move(wake));
  std::lock_guard lock(mutex_);
  channels_.insert(channel);
  return channel;
}

void watch_hub::forget(const watch_ptr& channel) {
  std::lock_guard lock(mutex_);
  channels_.erase(channel);
}

void watch_hub::publish(const store_event& event) {
  std::lock_guard lock(mutex_);
  for (const auto& c : channels_) {
    if (c->filter().type->id() != event.resource) continue;
    if (auto line = render_event(c->filter(), event)) c->push(std::move(*line));
  }
}

void watch_hub::drop_all() {
  std::set<watch_ptr> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(channels_);
  }
  for (const auto& c : all) c->close(true);
}

void watch_hub::close_resource(const std::string& resource_id) {
  std::vector<watch_ptr> closing;
  {
    std::lock_guard lock(mutex_);
    for (auto it = channels_.begin(); it != channels_.end();) {
      if ((*it)->filter().type->id() == resource_id) {
        closing.push_back(*it);
        it = channels_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& c : closing) c->close(false);
}

size_t watch_hub::size() const {
  std::lock_guard lock(mutex_);
  return channels_.size();
}

json object_for_version(json object, const resource_type& type, const std::string& version) {
  if (!object.is_object()) return object;
  object["apiVersion"] = type.api_version(version);
  object["kind"] = type.kind;
  return object;
}

std::string render_line(const char* type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

std::optional<std::string> render_event(const watch_filter& filter, const store_event& event) {
  const bool now = event.type != event_type::deleted && filter.matches(event.object);
  const bool before = !event.prev.is_null() && filter.matches(event.prev);
  const auto& type = *filter.type;
  if (now && !before)
    return render_line("ADDED", object_for_version(event.object, type, filter.version));
  if (now && before)
    return render_line("MODIFIED", object_for_version(event.object, type, filter.version));
  if (!now && before) {
    // The previous content at the event's resourceVersion, as the watch cache sends it.
    json last = event.prev;
    meta_of(last)["resourceVersion"] = std::to_string(event.rv);
    return render_line("DELETED", object_for_version(std::move(last), type, filter.version));
  }
  return std::nullopt;
}

std::string bookmark_line(const watch_filter& filter, uint64_t rv) {
  json object = {
      {"kind", filter.type->kind},
      {"apiVersion", filter.type->api_version(filter.version)},
      {"metadata", {{"resourceVersion", std::to_string(rv)}, {"creationTimestamp", nullptr}}}};
  return render_line("BOOKMARK", object);
}

std::string error_line(const api_error& error) {
  return render_line("ERROR", error.to_status());
}

}  // namespace tern::kube_double
