// ListOffsets (key 2).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& list_offsets() {
  using enum field_type;
  static const api_schema schema{
      2,
      "ListOffsets",
      {"ListOffsetsRequest",
       versions(0, 7),
       since(6),
       {
           scalar("replica_id", int32),
           scalar("isolation_level", int8, since(2)),
           struct_array(
               "topics", since(0),
               {
                   scalar("name", string),
                   struct_array("partitions", since(0),
                                {
                                    scalar("partition_index", int32),
                                    scalar("current_leader_epoch", int32, since(4)).defaults_to(-1),
                                    scalar("timestamp", int64),
                                    scalar("max_num_offsets", int32, versions(0, 0)).defaults_to(1),
                                }),
               }),
       }},
      {"ListOffsetsResponse",
       versions(0, 7),
       since(6),
       {
           scalar("throttle_time_ms", int32, since(2)),
           struct_array(
               "topics", since(0),
               {
                   scalar("name", string),
                   struct_array("partitions", since(0),
                                {
                                    scalar("partition_index", int32),
                                    scalar("error_code", int16),
                                    array_of("old_style_offsets", int64, versions(0, 0)),
                                    scalar("timestamp", int64, since(1)).defaults_to(-1),
                                    scalar("offset", int64, since(1)).defaults_to(-1),
                                    scalar("leader_epoch", int32, since(4)).defaults_to(-1),
                                }),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
