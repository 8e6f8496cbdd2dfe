// Fetch (key 1).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& fetch() {
  using enum field_type;
  static const api_schema schema{
      1,
      "Fetch",
      {"FetchRequest",
       versions(0, 13),
       since(12),
       {
           scalar("cluster_id", string, since(12))
               .nullable_in(since(12))
               .defaults_to_null()
               .tagged_as(0, since(12)),
           scalar("replica_id", int32, versions(0, 14)).defaults_to(-1),
           scalar("max_wait_ms", int32),
           scalar("min_bytes", int32),
           scalar("max_bytes", int32, since(3)).defaults_to(0x7fffffff),
           scalar("isolation_level", int8, since(4)),
           scalar("session_id", int32, since(7)),
           scalar("session_epoch", int32, since(7)).defaults_to(-1),
           struct_array(
               "topics", since(0),
               {
                   scalar("topic", string, versions(0, 12)),
                   scalar("topic_id", uuid, since(13)),
                   struct_array("partitions", since(0),
                                {
                                    scalar("partition", int32),
                                    scalar("current_leader_epoch", int32, since(9)).defaults_to(-1),
                                    scalar("fetch_offset", int64),
                                    scalar("last_fetched_epoch", int32, since(12)).defaults_to(-1),
                                    scalar("log_start_offset", int64, since(5)).defaults_to(-1),
                                    scalar("partition_max_bytes", int32),
                                }),
               }),
           struct_array("forgotten_topics_data", since(7),
                        {
                            scalar("topic", string, versions(7, 12)),
                            scalar("topic_id", uuid, since(13)),
                            array_of("partitions", int32, since(7)),
                        }),
           scalar("rack_id", string, since(11)),
       }},
      {"FetchResponse",
       versions(0, 13),
       since(12),
       {
           scalar("throttle_time_ms", int32, since(1)),
           scalar("error_code", int16, since(7)),
           scalar("session_id", int32, since(7)),
           struct_array(
               "responses", since(0),
               {
                   scalar("topic", string, versions(0, 12)),
                   scalar("topic_id", uuid, since(13)),
                   struct_array(
                       "partitions", since(0),
                       {
                           scalar("partition_index", int32),
                           scalar("error_code", int16),
                           scalar("high_watermark", int64),
                           scalar("last_stable_offset", int64, since(4)).defaults_to(-1),
                           scalar("log_start_offset", int64, since(5)).defaults_to(-1),
                           struct_field("diverging_epoch", since(12),
                                        {
                                            scalar("epoch", int32, since(12)).defaults_to(-1),
                                            scalar("end_offset", int64, since(12)).defaults_to(-1),
                                        })
                               .tagged_as(0, since(12)),
                           struct_field(
                               "current_leader", since(12),
                               {
                                   scalar("leader_id", int32, since(12)).defaults_to(-1),
                                   scalar("leader_epoch", int32, since(12)).defaults_to(-1),
                               })
                               .tagged_as(1, since(12)),
                           struct_field("snapshot_id", since(12),
                                        {
                                            scalar("end_offset", int64).defaults_to(-1),
                                            scalar("epoch", int32).defaults_to(-1),
                                        })
                               .tagged_as(2, since(12)),
                           struct_array("aborted_transactions", since(4),
                                        {
                                            scalar("producer_id", int64, since(4)),
                                            scalar("first_offset", int64, since(4)),
                                        })
                               .nullable_in(since(4)),
                           scalar("preferred_read_replica", int32, since(11)).defaults_to(-1),
                           scalar("records", records).nullable_in(since(0)),
                       }),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
