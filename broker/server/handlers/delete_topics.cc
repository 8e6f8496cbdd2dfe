// DeleteTopics: by name (v0-5) or by name or topic id (v6).
#include <algorithm>
#include <chrono>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

handler_result delete_topics(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::delete_topics().response.fields);
  std::vector<std::string> removed;
  auto remove = [&](const std::optional<std::string>& name, const protocol::value& id) {
    auto& out = r.add("responses");
    std::optional<cluster::topic_info> t;
    if (name) {
      out["name"] = *name;
      t = b.topics().find(*name);
    } else {
      out["name"] = protocol::value::null();
      t = b.topics().find_by_id(id.as_uuid().bytes);
      if (t) out["name"] = t->name;
    }
    if (!t) {
      const auto err = name ? error_code::unknown_topic_or_partition : error_code::unknown_topic_id;
      out["error_code"] = code(err);
      out["error_message"] = std::string(protocol::error_name(err));
      return;
    }
    out["topic_id"] = to_uuid(t->id);
    auto result = b.topics().remove(t->name);
    if (result.ok()) removed.push_back(t->name);
    out["error_code"] = code(result.error);
    if (!result.ok()) out["error_message"] = result.message;
  };
  if (cx.api_version >= 6) {
    for (const auto& t : req.array("topics")) {
      const auto& ts = t.as_struct();
      remove(ts.is_null("name") ? std::nullopt : std::optional<std::string>(ts.string("name")),
             ts["topic_id"]);
    }
  } else {
    for (const auto& n : req.array("topic_names"))
      remove(n.as_string(), protocol::value(protocol::uuid_value{}));
  }
  if (b.replicas() != nullptr && !removed.empty()) {
    // Cluster mode: answer once this broker's view no longer has the topics.
    std::function<bool(const cluster::cluster_view&)> gone =
        [removed](const cluster::cluster_view& v) {
          for (const auto& name : removed)
            if (v.topics.contains(name)) return false;
          return true;
        };
    const auto wait =
        std::chrono::milliseconds(std::clamp<int64_t>(req.integer("timeout_ms"), 0, 30000));
    co_await b.replicas()->await_view(std::move(gone), wait);
  }
  co_return r;
}

}  // namespace tern::server::handlers
