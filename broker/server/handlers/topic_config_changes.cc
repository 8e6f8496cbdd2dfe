// Applying config changes to topic resources.
#include "broker/server/handlers/topic_config_changes.h"

#include "broker/server/handlers/handler_util.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {
constexpr int64_t kTopicResource = 2;
}

protocol::struct_value alter_topic_configs(request_context& cx, const protocol::struct_value& req,
                                           const protocol::message_schema& response,
                                           bool incremental) {
  protocol::struct_value r(response.fields);
  const bool validate_only = req["validate_only"].as_bool();
  for (const auto& res_value : req.array("resources")) {
    const auto& res = res_value.as_struct();
    auto& out = r.add("responses");
    out["resource_type"] = res["resource_type"];
    out["resource_name"] = res["resource_name"];
    auto fail = [&](error_code e, const std::string& message) {
      out["error_code"] = code(e);
      out["error_message"] = message;
    };
    if (res.integer("resource_type") != kTopicResource) {
      fail(error_code::invalid_request,
           "Only topic configs can be altered; broker settings are static");
      continue;
    }
    std::vector<config_change> changes;
    bool bad_op = false;
    for (const auto& c : res.array("configs")) {
      const auto& cs = c.as_struct();
      const int64_t op = incremental ? cs.integer("config_operation") : 0;
      bad_op = bad_op || op < 0 || op > 3;
      changes.push_back(
          {cs.string("name"),
           cs.is_null("value") ? std::nullopt : std::optional<std::string>(cs.string("value")),
           static_cast<config_op>(op)});
    }
    if (bad_op) {
      fail(error_code::invalid_request, "Unknown config operation");
      continue;
    }
    auto result = cx.b.topics().alter_configs(res.string("resource_name"), changes, incremental,
                                              validate_only);
    out["error_code"] = code(result.error);
    out["error_message"] = result.ok() ? protocol::value::null() : protocol::value(result.message);
  }
  return r;
}

}  // namespace tern::server::handlers
