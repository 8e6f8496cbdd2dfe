// ListPartitionReassignments (key 46).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& list_partition_reassignments() {
  using enum field_type;
  static const api_schema schema{
      46,
      "ListPartitionReassignments",
      {"ListPartitionReassignmentsRequest",
       versions(0, 0),
       since(0),
       {
           scalar("timeout_ms", int32).defaults_to(60000),
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            array_of("partition_indexes", int32),
                        })
               .nullable_in(since(0))
               .defaults_to_null(),
       }},
      {"ListPartitionReassignmentsResponse",
       versions(0, 0),
       since(0),
       {
           scalar("throttle_time_ms", int32),
           scalar("error_code", int16),
           scalar("error_message", string).nullable_in(since(0)),
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            struct_array("partitions", since(0),
                                         {
                                             scalar("partition_index", int32),
                                             array_of("replicas", int32),
                                             array_of("adding_replicas", int32),
                                             array_of("removing_replicas", int32),
                                         }),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
