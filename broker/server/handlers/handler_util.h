// Small pieces several handlers share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// A nullable error_message field: null when there is nothing to say.
inline void set_error_message(protocol::struct_value& out, const std::string& message) {
  if (message.empty())
    out["error_message"] = protocol::value::null();
  else
    out["error_message"] = message;
}

// Whether a broker id may hold replicas: a live broker of the cluster (or this broker alone in
// single-node mode).
inline bool is_known_broker(broker& b, int64_t id) {
  if (b.replicas() == nullptr) return id == b.node_id();
  return id >= 0 && id <= INT32_MAX && b.replicas()->view().is_live(static_cast<int32_t>(id));
}

// A client's replica assignment (one broker list per partition), or nullopt when it names a
// broker that cannot hold replicas, names one twice, or the lists differ in length.
inline std::optional<std::vector<std::vector<int32_t>>> read_assignment(
    broker& b, const protocol::value_array& assignments) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& a : assignments) {
    std::vector<int32_t> ids;
    for (const auto& id : a.as_struct().array("broker_ids")) {
      if (!is_known_broker(b, id.as_int())) return std::nullopt;
      const auto v = static_cast<int32_t>(id.as_int());
      if (std::find(ids.begin(), ids.end(), v) != ids.end()) return std::nullopt;
      ids.push_back(v);
    }
    if (ids.empty() || (!out.empty() && ids.size() != out.front().size())) return std::nullopt;
    out.push_back(std::move(ids));
  }
  return out;
}

}  // namespace tern::server::handlers
