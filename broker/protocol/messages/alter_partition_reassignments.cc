// AlterPartitionReassignments (key 45).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& alter_partition_reassignments() {
  using enum field_type;
  static const api_schema schema{
      45,
      "AlterPartitionReassignments",
      {"AlterPartitionReassignmentsRequest",
       versions(0, 0),
       since(0),
       {
           scalar("timeout_ms", int32).defaults_to(60000),
           struct_array(
               "topics", since(0),
               {
                   scalar("name", string),
                   struct_array(
                       "partitions", since(0),
                       {
                           scalar("partition_index", int32),
                           array_of("replicas", int32).nullable_in(since(0)).defaults_to_null(),
                       }),
               }),
       }},
      {"AlterPartitionReassignmentsResponse",
       versions(0, 0),
       since(0),
       {
           scalar("throttle_time_ms", int32),
           scalar("error_code", int16),
           scalar("error_message", string).nullable_in(since(0)),
           struct_array("responses", since(0),
                        {
                            scalar("name", string),
                            struct_array("partitions", since(0),
                                         {
                                             scalar("partition_index", int32),
                                             scalar("error_code", int16),
                                             scalar("error_message", string).nullable_in(since(0)),
                                         }),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
