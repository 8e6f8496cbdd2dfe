// OffsetFetch (key 9).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& offset_fetch() {
  using enum field_type;
  static const api_schema schema{
      9,
      "OffsetFetch",
      {"OffsetFetchRequest",
       versions(0, 8),
       since(6),
       {
           scalar("group_id", string, versions(0, 7)),
           struct_array("topics", versions(0, 7),
                        {
                            scalar("name", string, versions(0, 7)),
                            array_of("partition_indexes", int32, versions(0, 7)),
                        })
               .nullable_in(versions(2, 7)),
           struct_array("groups", since(8),
                        {
                            scalar("group_id", string, since(8)),
                            struct_array("topics", since(8),
                                         {
                                             scalar("name", string, since(8)),
                                             array_of("partition_indexes", int32, since(8)),
                                         })
                                .nullable_in(since(8)),
                        }),
           scalar("require_stable", boolean, since(7)),
       }},
      {"OffsetFetchResponse",
       versions(0, 8),
       since(6),
       {
           scalar("throttle_time_ms", int32, since(3)),
           struct_array(
               "topics", versions(0, 7),
               {
                   scalar("name", string, versions(0, 7)),
                   struct_array(
                       "partitions", versions(0, 7),
                       {
                           scalar("partition_index", int32, versions(0, 7)),
                           scalar("committed_offset", int64, versions(0, 7)),
                           scalar("committed_leader_epoch", int32, versions(5, 7)).defaults_to(-1),
                           scalar("metadata", string, versions(0, 7)).nullable_in(versions(0, 7)),
                           scalar("error_code", int16, versions(0, 7)),
                       }),
               }),
           scalar("error_code", int16, versions(2, 7)),
           struct_array(
               "groups", since(8),
               {
                   scalar("group_id", string, since(8)),
                   struct_array(
                       "topics", since(8),
                       {
                           scalar("name", string, since(8)),
                           struct_array(
                               "partitions", since(8),
                               {
                                   scalar("partition_index", int32, since(8)),
                                   scalar("committed_offset", int64, since(8)),
                                   scalar("committed_leader_epoch", int32, since(8))
                                       .defaults_to(-1),
                                   scalar("metadata", string, since(8)).nullable_in(since(8)),
                                   scalar("error_code", int16, since(8)),
                               }),
                       }),
                   scalar("error_code", int16, since(8)),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
