// IncrementalAlterConfigs: set, delete, append to or subtract from topic config overrides.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/handlers/topic_config_changes.h"

namespace tern::server::handlers {

handler_result incremental_alter_configs(request_context& cx, protocol::struct_value& req) {
  co_return alter_topic_configs(cx, req, protocol::messages::incremental_alter_configs().response,
                                true);
}

}  // namespace tern::server::handlers
