// CreatePartitions (key 37).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& create_partitions() {
  using enum field_type;
  static const api_schema schema{
      37,
      "CreatePartitions",
      {"CreatePartitionsRequest",
       versions(0, 3),
       since(2),
       {
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            scalar("count", int32),
                            struct_array("assignments", since(0),
                                         {
                                             array_of("broker_ids", int32),
                                         })
                                .nullable_in(since(0)),
                        }),
           scalar("timeout_ms", int32),
           scalar("validate_only", boolean),
       }},
      {"CreatePartitionsResponse",
       versions(0, 3),
       since(2),
       {
           scalar("throttle_time_ms", int32),
           struct_array(
               "results", since(0),
               {
                   scalar("name", string),
                   scalar("error_code", int16),
                   scalar("error_message", string).nullable_in(since(0)).defaults_to_null(),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
