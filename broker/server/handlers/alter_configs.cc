// AlterConfigs: replace a topic's config overrides as a whole.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {
constexpr int64_t kTopicResource = 2;
}

handler_result alter_configs(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value r(protocol::messages::alter_configs().response.fields);
  const bool validate_only = req["validate_only"].as_bool();
  for (const auto& res_value : req.array("resources")) {
    const auto& res = res_value.as_struct();
    auto& out = r.add("responses");
    out["resource_type"] = res["resource_type"];
    out["resource_name"] = res["resource_name"];
    if (res.integer("resource_type") != kTopicResource) {
      out["error_code"] = code(error_code::invalid_request);
      out["error_message"] = "Only topic configs can be altered; broker settings are static";
      continue;
    }
    std::vector<config_change> changes;
    for (const auto& c : res.array("configs")) {
      const auto& cs = c.as_struct();
      changes.push_back(
          {cs.string("name"),
           cs.is_null("value") ? std::nullopt : std::optional<std::string>(cs.string("value")),
           config_op::set});
    }
    auto result =
        cx.b.topics().alter_configs(res.string("resource_name"), changes, false, validate_only);
    out["error_code"] = code(result.error);
    out["error_message"] = result.ok() ? protocol::value::null() : protocol::value(result.message);
  }
  co_return r;
}

}  // namespace tern::server::handlers
