// FindCoordinator (key 10).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& find_coordinator() {
  using enum field_type;
  static const api_schema schema{
      10,
      "FindCoordinator",
      {"FindCoordinatorRequest",
       versions(0, 4),
       since(3),
       {
           scalar("key", string, versions(0, 3)),
           scalar("key_type", int8, since(1)),
           array_of("coordinator_keys", string, since(4)),
       }},
      {"FindCoordinatorResponse",
       versions(0, 4),
       since(3),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16, versions(0, 3)),
           scalar("error_message", string, versions(1, 3)).nullable_in(versions(1, 3)),
           scalar("node_id", int32, versions(0, 3)),
           scalar("host", string, versions(0, 3)),
           scalar("port", int32, versions(0, 3)),
           struct_array("coordinators", since(4),
                        {
                            scalar("key", string, since(4)),
                            scalar("node_id", int32, since(4)),
                            scalar("host", string, since(4)),
                            scalar("port", int32, since(4)),
                            scalar("error_code", int16, since(4)),
                            scalar("error_message", string, since(4)).nullable_in(since(4)),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
