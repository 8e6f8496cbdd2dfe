// LeaveGroup (key 13).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& leave_group() {
  using enum field_type;
  static const api_schema schema{
      13,
      "LeaveGroup",
      {"LeaveGroupRequest",
       versions(0, 5),
       since(4),
       {
           scalar("group_id", string),
           scalar("member_id", string, versions(0, 2)),
           struct_array(
               "members", since(3),
               {
                   scalar("member_id", string, since(3)),
                   scalar("group_instance_id", string, since(3))
                       .nullable_in(since(3))
                       .defaults_to_null(),
                   scalar("reason", string, since(5)).nullable_in(since(5)).defaults_to_null(),
               }),
       }},
      {"LeaveGroupResponse",
       versions(0, 5),
       since(4),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16),
           struct_array("members", since(3),
                        {
                            scalar("member_id", string, since(3)),
                            scalar("group_instance_id", string, since(3)).nullable_in(since(3)),
                            scalar("error_code", int16, since(3)),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
