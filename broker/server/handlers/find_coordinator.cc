// FindCoordinator: this broker coordinates every group (single-node mode). Transactions are
// not supported, so transaction coordinators are not found.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kGroupKey = 0;
constexpr size_t kMaxGroupIdLength = 255;

struct coordinator_answer {
  error_code error = error_code::none;
  std::string message;
};

coordinator_answer answer_for(int64_t key_type, const std::string& key) {
  if (key_type != kGroupKey)
    return {error_code::transactional_id_authorization_failed, "transactions are not supported"};
  if (key.empty() || key.size() > kMaxGroupIdLength)
    return {error_code::invalid_group_id, "group id must be 1 to 255 characters"};
  return {};
}

}  // namespace

handler_result find_coordinator(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::find_coordinator().response.fields);
  const int64_t key_type = req.integer("key_type");
  if (cx.api_version >= 4) {
    for (const auto& key : req.array("coordinator_keys")) {
      auto a = answer_for(key_type, key.as_string());
      auto& c = r.add("coordinators");
      c["key"] = key.as_string();
      c["error_code"] = code(a.error);
      c["node_id"] = int64_t{a.error == error_code::none ? b.node_id() : -1};
      c["host"] = a.error == error_code::none ? b.advertised_host() : std::string();
      c["port"] = int64_t{a.error == error_code::none ? b.advertised_port() : -1};
      if (!a.message.empty()) c["error_message"] = a.message;
    }
    co_return r;
  }
  auto a = answer_for(key_type, req.string("key"));
  r["error_code"] = code(a.error);
  r["node_id"] = int64_t{a.error == error_code::none ? b.node_id() : -1};
  r["host"] = a.error == error_code::none ? b.advertised_host() : std::string();
  r["port"] = int64_t{a.error == error_code::none ? b.advertised_port() : -1};
  if (!a.message.empty()) r["error_message"] = a.message;
  co_return r;
}

}  // namespace tern::server::handlers
