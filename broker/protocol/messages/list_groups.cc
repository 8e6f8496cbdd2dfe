// ListGroups (key 16).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& list_groups() {
  using enum field_type;
  static const api_schema schema{
      16,
      "ListGroups",
      {"ListGroupsRequest",
       versions(0, 4),
       since(3),
       {
           array_of("states_filter", string, since(4)),
       }},
      {"ListGroupsResponse",
       versions(0, 4),
       since(3),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16),
           struct_array("groups", since(0),
                        {
                            scalar("group_id", string),
                            scalar("protocol_type", string),
                            scalar("group_state", string, since(4)),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
