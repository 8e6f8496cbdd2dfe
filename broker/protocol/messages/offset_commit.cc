// OffsetCommit (key 8).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& offset_commit() {
  using enum field_type;
  static const api_schema schema{
      8,
      "OffsetCommit",
      {"OffsetCommitRequest",
       versions(0, 8),
       since(8),
       {
           scalar("group_id", string),
           scalar("generation_id_or_member_epoch", int32, since(1)).defaults_to(-1),
           scalar("member_id", string, since(1)),
           scalar("group_instance_id", string, since(7)).nullable_in(since(7)).defaults_to_null(),
           scalar("retention_time_ms", int64, versions(2, 4)).defaults_to(-1),
           struct_array(
               "topics", since(0),
               {
                   scalar("name", string),
                   struct_array(
                       "partitions", since(0),
                       {
                           scalar("partition_index", int32),
                           scalar("committed_offset", int64),
                           scalar("committed_leader_epoch", int32, since(6)).defaults_to(-1),
                           scalar("commit_timestamp", int64, versions(1, 1)).defaults_to(-1),
                           scalar("committed_metadata", string).nullable_in(since(0)),
                       }),
               }),
       }},
      {"OffsetCommitResponse",
       versions(0, 8),
       since(8),
       {
           scalar("throttle_time_ms", int32, since(3)),
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            struct_array("partitions", since(0),
                                         {
                                             scalar("partition_index", int32),
                                             scalar("error_code", int16),
                                         }),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
