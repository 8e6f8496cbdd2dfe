// ApiVersions (key 18). Its response always travels with response header v0 (see codec.h).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& api_versions() {
  using enum field_type;
  static const api_schema schema{
      18,
      "ApiVersions",
      {"ApiVersionsRequest",
       versions(0, 3),
       since(3),
       {
           scalar("client_software_name", string, since(3)),
           scalar("client_software_version", string, since(3)),
       }},
      {"ApiVersionsResponse",
       versions(0, 3),
       since(3),
       {
           scalar("error_code", int16),
           struct_array("api_keys", since(0),
                        {
                            scalar("api_key", int16),
                            scalar("min_version", int16),
                            scalar("max_version", int16),
                        }),
           scalar("throttle_time_ms", int32, since(1)),
           struct_array("supported_features", since(3),
                        {
                            scalar("name", string),
                            scalar("min_version", int16),
                            scalar("max_version", int16),
                        })
               .tagged_as(0, since(3)),
           scalar("finalized_features_epoch", int64, since(3))
               .tagged_as(1, since(3))
               .defaults_to(-1),
           struct_array("finalized_features", since(3),
                        {
                            scalar("name", string),
                            scalar("max_version_level", int16),
                            scalar("min_version_level", int16),
                        })
               .tagged_as(2, since(3)),
           scalar("zk_migration_ready", boolean, since(3)).tagged_as(3, since(3)),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
