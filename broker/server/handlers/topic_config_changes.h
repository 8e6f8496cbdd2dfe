// AlterConfigs and IncrementalAlterConfigs differ only in how a change is spelled and whether
// unnamed configs are kept; this applies either to every topic resource of a request.
#pragma once

#include "broker/protocol/schema.h"
#include "broker/server/request_context.h"

namespace tern::server::handlers {

protocol::struct_value alter_topic_configs(request_context& cx, const protocol::struct_value& req,
                                           const protocol::message_schema& response,
                                           bool incremental);

}  // namespace tern::server::handlers
