// AlterConfigs (key 33).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& alter_configs() {
  using enum field_type;
  static const api_schema schema{
      33,
      "AlterConfigs",
      {"AlterConfigsRequest",
       versions(0, 2),
       since(2),
       {
           struct_array("resources", since(0),
                        {
                            scalar("resource_type", int8),
                            scalar("resource_name", string),
                            struct_array("configs", since(0),
                                         {
                                             scalar("name", string),
                                             scalar("value", string).nullable_in(since(0)),
                                         }),
                        }),
           scalar("validate_only", boolean),
       }},
      {"AlterConfigsResponse",
       versions(0, 2),
       since(2),
       {
           scalar("throttle_time_ms", int32),
           struct_array("responses", since(0),
                        {
                            scalar("error_code", int16),
                            scalar("error_message", string).nullable_in(since(0)),
                            scalar("resource_type", int8),
                            scalar("resource_name", string),
                        }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
