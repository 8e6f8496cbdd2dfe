// ElectLeaders (key 43).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& elect_leaders() {
  using enum field_type;
  static const api_schema schema{
      43,
      "ElectLeaders",
      {"ElectLeadersRequest",
       versions(0, 2),
       since(2),
       {
           scalar("election_type", int8, since(1)),
           struct_array("topic_partitions", since(0),
                        {
                            scalar("topic", string),
                            array_of("partition_id", int32),
                        })
               .nullable_in(since(0)),
           scalar("timeout_ms", int32).defaults_to(60000),
       }},
      {"ElectLeadersResponse",
       versions(0, 2),
       since(2),
       {
           scalar("throttle_time_ms", int32),
           scalar("error_code", int16, since(1)),
           struct_array("replica_election_results", since(0),
                        {
                            scalar("topic", string),
                            struct_array("partition_result", since(0),
                                         {
                                             scalar("partition_id", int32),
                                             scalar("error_code", int16),
                                             scalar("error_message", string).nullable_in(since(0)),
                                         }),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
