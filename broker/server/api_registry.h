// The one table of Kafka APIs this broker serves: each entry binds an API's schema (whose
// version range is what ApiVersions advertises) to its handler.
#pragma once

#include <vector>

#include "broker/protocol/schema.h"
#include "broker/server/request_context.h"

namespace tern::server {

struct api_handler {
  const protocol::api_schema* schema;
  handler_fn handle;
  // What ApiVersions advertises; within the schema's range. Produce keeps advertising v0-2
  // (librdkafka probes them before it compresses) and answers them with UNSUPPORTED_VERSION.
  protocol::version_range advertised;
};

const std::vector<api_handler>& api_handlers();
const api_handler* find_api_handler(int16_t api_key);

}  // namespace tern::server
