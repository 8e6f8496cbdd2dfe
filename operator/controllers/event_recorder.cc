// core/v1 Event creation.
#include "operator/controllers/event_recorder.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "operator/k8s/resource.h"
#include "operator/k8s/rfc3339.h"

namespace tern::op::controllers {

event_recorder::event_recorder(k8s::client& api, std::string component)
    : api_(api), component_(std::move(component)) {}

void event_recorder::record(const nlohmann::json& object, const std::string& type,
                            const std::string& reason, const std::string& message) {
  const auto& meta = object.at("metadata");
  const std::string ns = meta.value("namespace", "default");
  const std::string name = meta.value("name", "");
  // Unique per event, as client-go names them: <object>.<hex nanoseconds>.
  static std::atomic<uint64_t> sequence{0};
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     static_cast<int64_t>(sequence++);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%llx", static_cast<unsigned long long>(nanos));
  const std::string now = k8s::now_rfc3339();
  nlohmann::json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name + "." + suffix}, {"namespace", ns}}},
      {"involvedObject",
       {{"apiVersion", object.value("apiVersion", "")},
        {"kind", object.value("kind", "")},
        {"name", name},
        {"namespace", ns},
        {"uid", meta.value("uid", "")},
        {"resourceVersion", meta.value("resourceVersion", "")}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"source", {{"component", component_}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
  };
  spdlog::info("event {} {}/{} {}: {}", type, ns, name, reason, message);
  if (auto r = api_.create(k8s::resources::events, ns, event); !r)
    spdlog::warn("could not record event {} on {}/{}: {}", reason, ns, name, r.error().to_string());
}

}  // namespace tern::op::controllers
