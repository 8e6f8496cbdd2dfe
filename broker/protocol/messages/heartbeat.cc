// Heartbeat (key 12).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& heartbeat() {
  using enum field_type;
  static const api_schema schema{
      12,
      "Heartbeat",
      {"HeartbeatRequest",
       versions(0, 4),
       since(4),
       {
           scalar("group_id", string),
           scalar("generation_id", int32),
           scalar("member_id", string),
           scalar("group_instance_id", string, since(3)).nullable_in(since(3)).defaults_to_null(),
       }},
      {"HeartbeatResponse",
       versions(0, 4),
       since(4),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
