// OffsetForLeaderEpoch (key 23).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& offset_for_leader_epoch() {
  using enum field_type;
  static const api_schema schema{
      23,
      "OffsetForLeaderEpoch",
      {"OffsetForLeaderEpochRequest",
       versions(0, 4),
       since(4),
       {
           scalar("replica_id", int32, since(3)).defaults_to(-2),
           struct_array(
               "topics", since(0),
               {
                   scalar("topic", string),
                   struct_array("partitions", since(0),
                                {
                                    scalar("partition", int32),
                                    scalar("current_leader_epoch", int32, since(2)).defaults_to(-1),
                                    scalar("leader_epoch", int32),
                                }),
               }),
       }},
      {"OffsetForLeaderEpochResponse",
       versions(0, 4),
       since(4),
       {
           scalar("throttle_time_ms", int32, since(2)),
           struct_array(
               "topics", since(0),
               {
                   scalar("topic", string),
                   struct_array("partitions", since(0),
                                {
                                    scalar("error_code", int16),
                                    scalar("partition", int32),
                                    scalar("leader_epoch", int32, since(1)).defaults_to(-1),
                                    scalar("end_offset", int64).defaults_to(-1),
                                }),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
