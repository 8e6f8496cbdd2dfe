// OffsetDelete (key 47).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& offset_delete() {
  using enum field_type;
  static const api_schema schema{
      47,
      "OffsetDelete",
      {"OffsetDeleteRequest",
       versions(0, 0),
       kNoVersions,
       {
           scalar("group_id", string),
           struct_array("topics", since(0),
                        {
                            scalar("name", string),
                            struct_array("partitions", since(0),
                                         {
                                             scalar("partition_index", int32),
                                         }),
                        }),
       }},
      {"OffsetDeleteResponse",
       versions(0, 0),
       kNoVersions,
       {
           scalar("error_code", int16),
           scalar("throttle_time_ms", int32),
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
