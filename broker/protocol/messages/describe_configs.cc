// DescribeConfigs (key 32).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& describe_configs() {
  using enum field_type;
  static const api_schema schema{
      32,
      "DescribeConfigs",
      {"DescribeConfigsRequest",
       versions(0, 4),
       since(4),
       {
           struct_array("resources", since(0),
                        {
                            scalar("resource_type", int8),
                            scalar("resource_name", string),
                            array_of("configuration_keys", string).nullable_in(since(0)),
                        }),
           scalar("include_synonyms", boolean, since(1)),
           scalar("include_documentation", boolean, since(3)),
       }},
      {"DescribeConfigsResponse",
       versions(0, 4),
       since(4),
       {
           scalar("throttle_time_ms", int32),
           struct_array(
               "results", since(0),
               {
                   scalar("error_code", int16),
                   scalar("error_message", string).nullable_in(since(0)),
                   scalar("resource_type", int8),
                   scalar("resource_name", string),
                   struct_array(
                       "configs", since(0),
                       {
                           scalar("name", string),
                           scalar("value", string).nullable_in(since(0)),
                           scalar("read_only", boolean),
                           scalar("is_default", boolean, versions(0, 0)),
                           scalar("config_source", int8, since(1)).defaults_to(-1),
                           scalar("is_sensitive", boolean),
                           struct_array("synonyms", since(1),
                                        {
                                            scalar("name", string, since(1)),
                                            scalar("value", string, since(1)).nullable_in(since(0)),
                                            scalar("source", int8, since(1)),
                                        }),
                           scalar("config_type", int8, since(3)),
                           scalar("documentation", string, since(3)).nullable_in(since(0)),
                       }),
               }),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
