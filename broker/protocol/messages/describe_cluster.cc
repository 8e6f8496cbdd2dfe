// DescribeCluster (key 60).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& describe_cluster() {
  using enum field_type;
  static const api_schema schema{
      60,
      "DescribeCluster",
      {"DescribeClusterRequest",
       versions(0, 1),
       since(0),
       {
           scalar("include_cluster_authorized_operations", boolean),
           scalar("endpoint_type", int8, since(1)).defaults_to(1),
       }},
      {"DescribeClusterResponse",
       versions(0, 1),
       since(0),
       {
           scalar("throttle_time_ms", int32),
           scalar("error_code", int16),
           scalar("error_message", string).nullable_in(since(0)).defaults_to_null(),
           scalar("endpoint_type", int8, since(1)).defaults_to(1),
           scalar("cluster_id", string),
           scalar("controller_id", int32).defaults_to(-1),
           struct_array("brokers", since(0),
                        {
                            scalar("broker_id", int32),
                            scalar("host", string),
                            scalar("port", int32),
                            scalar("rack", string).nullable_in(since(0)).defaults_to_null(),
                        }),
           scalar("cluster_authorized_operations", int32).defaults_to(-2147483648),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
