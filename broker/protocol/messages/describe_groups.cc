// DescribeGroups (key 15).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& describe_groups() {
  using enum field_type;
  static const api_schema schema{
      15,
      "DescribeGroups",
      {"DescribeGroupsRequest",
       versions(0, 5),
       since(5),
       {
           array_of("groups", string),
           scalar("include_authorized_operations", boolean, since(3)),
       }},
      {"DescribeGroupsResponse",
       versions(0, 5),
       since(5),
       {
           scalar("throttle_time_ms", int32, since(1)),
           struct_array(
               "groups", since(0),
               {
                   scalar("error_code", int16),
                   scalar("group_id", string),
                   scalar("group_state", string),
                   scalar("protocol_type", string),
                   scalar("protocol_data", string),
                   struct_array("members", since(0),
                                {
                                    scalar("member_id", string),
                                    scalar("group_instance_id", string, since(4))
                                        .nullable_in(since(4))
                                        .defaults_to_null(),
                                    scalar("client_id", string),
                                    scalar("client_host", string),
                                    scalar("member_metadata", bytes),
                                    scalar("member_assignment", bytes),
                                }),
                   scalar("authorized_operations", int32, since(3)).defaults_to(-2147483648),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
