// Produce (key 0).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& produce() {
  using enum field_type;
  static const api_schema schema{
      0,
      "Produce",
      {"ProduceRequest",
       versions(0, 9),
       since(9),
       {
           scalar("transactional_id", string, since(3)).nullable_in(since(3)).defaults_to_null(),
           scalar("acks", int16),
           scalar("timeout_ms", int32),
           struct_array("topic_data", since(0),
                        {
                            scalar("name", string),
                            struct_array("partition_data", since(0),
                                         {
                                             scalar("index", int32),
                                             scalar("records", records).nullable_in(since(0)),
                                         }),
                        }),
       }},
      {"ProduceResponse",
       versions(0, 9),
       since(9),
       {
           struct_array(
               "responses", since(0),
               {
                   scalar("name", string),
                   struct_array(
                       "partition_responses", since(0),
                       {
                           scalar("index", int32),
                           scalar("error_code", int16),
                           scalar("base_offset", int64),
                           scalar("log_append_time_ms", int64, since(2)).defaults_to(-1),
                           scalar("log_start_offset", int64, since(5)).defaults_to(-1),
                           struct_array("record_errors", since(8),
                                        {
                                            scalar("batch_index", int32, since(8)),
                                            scalar("batch_index_error_message", string, since(8))
                                                .nullable_in(since(8))
                                                .defaults_to_null(),
                                        }),
                           scalar("error_message", string, since(8))
                               .nullable_in(since(8))
                               .defaults_to_null(),
                       }),
               }),
           scalar("throttle_time_ms", int32, since(1)),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
