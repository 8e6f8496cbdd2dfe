// Topic-level configs (Kafka's names), their broker-wide defaults, validation, and the
// resolved values a log works with. One table serves creation, DescribeConfigs and alters.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_map.h"

namespace tern::storage {

enum class config_kind { long_int, integer, string, boolean, list };

struct topic_config_def {
  std::string_view name;        // topic config, e.g. retention.ms
  std::string_view broker_key;  // the broker setting that gives its default, e.g. log.retention.ms
  config_kind kind;
  std::string_view fallback;              // Kafka's default when the broker sets nothing
  std::vector<std::string_view> allowed;  // for strings/lists: the only accepted values
  int64_t min = INT64_MIN;                // for numbers
};

const std::vector<topic_config_def>& topic_config_defs();
const topic_config_def* find_topic_config_def(std::string_view name);

// Broker-wide defaults of every topic config, from the broker's own settings.
std::map<std::string, std::string> topic_defaults_from(const config_map& broker);

// Checks one override; the error reads as Kafka's INVALID_CONFIG message would.
std::expected<void, std::string> validate_topic_config(const std::string& name,
                                                       const std::string& value);

// The values a partition log runs with.
struct topic_config {
  int64_t retention_ms = 7 * 24 * 3600 * 1000LL;  // -1: keep forever
  int64_t retention_bytes = -1;                   // -1: no size limit
  int64_t segment_bytes = 1LL << 30;
  int64_t segment_ms = 7 * 24 * 3600 * 1000LL;
  int64_t max_message_bytes = 1048588;
  int64_t flush_messages = INT64_MAX;
  int64_t flush_ms = INT64_MAX;
  int64_t index_interval_bytes = 4096;
  int64_t delete_retention_ms = 24 * 3600 * 1000LL;
  int64_t min_compaction_lag_ms = 0;
  int64_t min_insync_replicas = 1;
  bool cleanup_delete = true;
  bool cleanup_compact = false;
  bool log_append_time = false;
};

// Topic overrides on top of the broker defaults. Overrides are assumed validated.
topic_config resolve_topic_config(const std::map<std::string, std::string>& defaults,
                                  const std::map<std::string, std::string>& overrides);

}  // namespace tern::storage
