// JoinGroup (key 11).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& join_group() {
  using enum field_type;
  static const api_schema schema{
      11,
      "JoinGroup",
      {"JoinGroupRequest",
       versions(0, 9),
       since(6),
       {
           scalar("group_id", string),
           scalar("session_timeout_ms", int32),
           scalar("rebalance_timeout_ms", int32, since(1)).defaults_to(-1),
           scalar("member_id", string),
           scalar("group_instance_id", string, since(5)).nullable_in(since(5)).defaults_to_null(),
           scalar("protocol_type", string),
           struct_array("protocols", since(0),
                        {
                            scalar("name", string),
                            scalar("metadata", bytes),
                        }),
           scalar("reason", string, since(8)).nullable_in(since(8)).defaults_to_null(),
       }},
      {"JoinGroupResponse",
       versions(0, 9),
       since(6),
       {
           scalar("throttle_time_ms", int32, since(2)),
           scalar("error_code", int16),
           scalar("generation_id", int32).defaults_to(-1),
           scalar("protocol_type", string, since(7)).nullable_in(since(7)).defaults_to_null(),
           scalar("protocol_name", string).nullable_in(since(7)),
           scalar("leader", string),
           scalar("skip_assignment", boolean, since(9)),
           scalar("member_id", string),
           struct_array("members", since(0),
                        {
                            scalar("member_id", string),
                            scalar("group_instance_id", string, since(5))
                                .nullable_in(since(5))
                                .defaults_to_null(),
                            scalar("metadata", bytes),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
