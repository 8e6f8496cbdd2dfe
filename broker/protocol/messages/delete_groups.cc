// DeleteGroups (key 42).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& delete_groups() {
  using enum field_type;
  static const api_schema schema{
      42,
      "DeleteGroups",
      {"DeleteGroupsRequest",
       versions(0, 2),
       since(2),
       {
           array_of("groups_names", string),
       }},
      {"DeleteGroupsResponse",
       versions(0, 2),
       since(2),
       {
           scalar("throttle_time_ms", int32),
           struct_array("results", since(0),
                        {
                            scalar("group_id", string),
                            scalar("error_code", int16),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
