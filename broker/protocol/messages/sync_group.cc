// SyncGroup (key 14).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& sync_group() {
  using enum field_type;
  static const api_schema schema{
      14,
      "SyncGroup",
      {"SyncGroupRequest",
       versions(0, 5),
       since(4),
       {
           scalar("group_id", string),
           scalar("generation_id", int32),
           scalar("member_id", string),
           scalar("group_instance_id", string, since(3)).nullable_in(since(3)).defaults_to_null(),
           scalar("protocol_type", string, since(5)).nullable_in(since(5)).defaults_to_null(),
           scalar("protocol_name", string, since(5)).nullable_in(since(5)).defaults_to_null(),
           struct_array("assignments", since(0),
                        {
                            scalar("member_id", string),
                            scalar("assignment", bytes),
                        }),
       }},
      {"SyncGroupResponse",
       versions(0, 5),
       since(4),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16),
           scalar("protocol_type", string, since(5)).nullable_in(since(5)).defaults_to_null(),
           scalar("protocol_name", string, since(5)).nullable_in(since(5)).defaults_to_null(),
           scalar("assignment", bytes),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
