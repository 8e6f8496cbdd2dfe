// ApiVersions: the advertised version range of every API in the registry.
#include "broker/protocol/messages/messages.h"
#include "broker/server/api_registry.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result api_versions(request_context& cx, protocol::struct_value&) {
  (void)cx;
  protocol::struct_value r(protocol::messages::api_versions().response.fields);
  for (const auto& h : api_handlers()) {
    auto& k = r.add("api_keys");
    k["api_key"] = int64_t{h.schema->key};
    k["min_version"] = int64_t{h.advertised.min};
    k["max_version"] = int64_t{h.advertised.max};
  }
  co_return r;
}

}  // namespace tern::server::handlers
