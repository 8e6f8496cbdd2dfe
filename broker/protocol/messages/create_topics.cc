// CreateTopics (key 19).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& create_topics() {
  using enum field_type;
  static const api_schema schema{
      19,
      "CreateTopics",
      {"CreateTopicsRequest",
       versions(0, 7),
       since(5),
       {
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            scalar("num_partitions", int32),
                            scalar("replication_factor", int16),
                            struct_array("assignments", since(0),
                                         {
                                             scalar("partition_index", int32),
                                             array_of("broker_ids", int32),
                                         }),
                            struct_array("configs", since(0),
                                         {
                                             scalar("name", string),
                                             scalar("value", string).nullable_in(since(0)),
                                         }),
                        }),
           scalar("timeout_ms", int32).defaults_to(60000),
           scalar("validate_only", boolean, since(1)),
       }},
      {"CreateTopicsResponse",
       versions(0, 7),
       since(5),
       {
           scalar("throttle_time_ms", int32, since(2)),
           struct_array(
               "topics", since(0),
               {
                   scalar("name", string),
                   scalar("topic_id", uuid, since(7)),
                   scalar("error_code", int16),
                   scalar("error_message", string, since(1)).nullable_in(since(0)),
                   scalar("topic_config_error_code", int16, since(5)).tagged_as(0, since(5)),
                   scalar("num_partitions", int32, since(5)).defaults_to(-1),
                   scalar("replication_factor", int16, since(5)).defaults_to(-1),
                   struct_array("configs", since(5),
                                {
                                    scalar("name", string, since(5)),
                                    scalar("value", string, since(5)).nullable_in(since(5)),
                                    scalar("read_only", boolean, since(5)),
                                    scalar("config_source", int8, since(5)).defaults_to(-1),
                                    scalar("is_sensitive", boolean, since(5)),
                                })
                       .nullable_in(since(5)),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
