// Where topics, their configs and cluster-wide counters live. Single-node mode keeps them in
// a file in the data directory (embedded_metadata_store); cluster mode will keep them in etcd.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tern::cluster {

using topic_id = std::array<uint8_t, 16>;

struct topic_info {
  std::string name;
  topic_id id{};
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // overrides only
  // Cluster mode: the replicas placed for each partition when it was created (the controller
  // starts each partition's state from it). Empty in single-node mode.
  std::vector<std::vector<int32_t>> assignment;
  // The stored record's version as read (etcd: its mod_revision; 0: not stored yet). Writes
  // compare it, so concurrent changes through different brokers cannot overwrite each other.
  int64_t version = 0;
};

class metadata_store {
 public:
  virtual ~metadata_store() = default;

  virtual std::string cluster_id() const = 0;
  virtual std::vector<topic_info> topics() const = 0;
  virtual std::optional<topic_info> find_topic(const std::string& name) const = 0;
  // Writes `topic` only if the stored record still has `topic.version` (0: only if there is
  // none, a creation). Returns false when it changed meanwhile (or, creating, exists).
  virtual std::expected<bool, std::string> put_topic(const topic_info& topic) = 0;
  virtual std::expected<void, std::string> remove_topic(const std::string& name) = 0;
  // Reserves `count` producer ids and returns the first.
  virtual std::expected<int64_t, std::string> allocate_producer_ids(int64_t count) = 0;
};

// A random version-4 UUID, as topic ids and cluster ids are.
topic_id random_uuid();

}  // namespace tern::cluster
