// Metadata (key 3).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& metadata() {
  using enum field_type;
  static const api_schema schema{
      3,
      "Metadata",
      {"MetadataRequest",
       versions(0, 12),
       since(9),
       {
           struct_array("topics", since(0),
                        {
                            scalar("topic_id", uuid, since(10)),
                            scalar("name", string).nullable_in(since(10)),
                        })
               .nullable_in(since(1)),
           scalar("allow_auto_topic_creation", boolean, since(4)).defaults_to(1),
           scalar("include_cluster_authorized_operations", boolean, versions(8, 10)),
           scalar("include_topic_authorized_operations", boolean, since(8)),
       }},
      {"MetadataResponse",
       versions(0, 12),
       since(9),
       {
           scalar("throttle_time_ms", int32, since(3)),
           struct_array(
               "brokers", since(0),
               {
                   scalar("node_id", int32),
                   scalar("host", string),
                   scalar("port", int32),
                   scalar("rack", string, since(1)).nullable_in(since(1)).defaults_to_null(),
               }),
           scalar("cluster_id", string, since(2)).nullable_in(since(2)).defaults_to_null(),
           scalar("controller_id", int32, since(1)).defaults_to(-1),
           struct_array(
               "topics", since(0),
               {
                   scalar("error_code", int16),
                   scalar("name", string).nullable_in(since(12)),
                   scalar("topic_id", uuid, since(10)),
                   scalar("is_internal", boolean, since(1)),
                   struct_array("partitions", since(0),
                                {
                                    scalar("error_code", int16),
                                    scalar("partition_index", int32),
                                    scalar("leader_id", int32),
                                    scalar("leader_epoch", int32, since(7)).defaults_to(-1),
                                    array_of("replica_nodes", int32),
                                    array_of("isr_nodes", int32),
                                    array_of("offline_replicas", int32, since(5)),
                                }),
                   scalar("topic_authorized_operations", int32, since(8)).defaults_to(-2147483648),
               }),
           scalar("cluster_authorized_operations", int32, versions(8, 10)).defaults_to(-2147483648),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
