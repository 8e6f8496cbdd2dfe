// Small pieces several handlers share.
#pragma once

#include <cstdint>
#include <string>

#include "broker/cluster/metadata_store.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/value.h"
#include "broker/server/broker.h"

namespace tern::server::handlers {

inline protocol::uuid_value to_uuid(const cluster::topic_id& id) {
  protocol::uuid_value u;
  u.bytes = id;
  return u;
}

inline int64_t code(protocol::error_code e) {
  return protocol::wire(e);
}

// Why a partition has no log here: a bad name, an unknown topic, or a partition out of range.
inline protocol::error_code missing_partition_error(const std::string& topic) {
  if (!validate_topic_name(topic).ok()) return protocol::error_code::invalid_topic_exception;
  return protocol::error_code::unknown_topic_or_partition;
}

}  // namespace tern::server::handlers
