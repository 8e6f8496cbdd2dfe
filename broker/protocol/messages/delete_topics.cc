// DeleteTopics (key 20).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& delete_topics() {
  using enum field_type;
  static const api_schema schema{
      20,
      "DeleteTopics",
      {"DeleteTopicsRequest",
       versions(0, 6),
       since(4),
       {
           struct_array(
               "topics", since(6),
               {
                   scalar("name", string, since(6)).nullable_in(since(6)).defaults_to_null(),
                   scalar("topic_id", uuid, since(6)),
               }),
           array_of("topic_names", string, versions(0, 5)),
           scalar("timeout_ms", int32),
       }},
      {"DeleteTopicsResponse",
       versions(0, 6),
       since(4),
       {
           scalar("throttle_time_ms", int32, since(1)),
           struct_array("responses", since(0),
                        {
                            scalar("name", string).nullable_in(since(6)),
                            scalar("topic_id", uuid, since(6)),
                            scalar("error_code", int16),
                            scalar("error_message", string, since(5))
                                .nullable_in(since(5))
                                .defaults_to_null(),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
