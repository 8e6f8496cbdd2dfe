// AlterConfigs: replace a topic's config overrides as a whole.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/handlers/topic_config_changes.h"

namespace tern::server::handlers {

handler_result alter_configs(request_context& cx, protocol::struct_value& req) {
  co_return alter_topic_configs(cx, req, protocol::messages::alter_configs().response, false);
}

}  // namespace tern::server::handlers
