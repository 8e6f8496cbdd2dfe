// The table of topic configs and their resolution.
#include "broker/storage/topic_config.h"

#include <sstream>

namespace tern::storage {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    size_t e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

const std::vector<topic_config_def>& topic_config_defs() {
  using enum config_kind;
  static const std::vector<topic_config_def> defs = {
      {"cleanup.policy", "log.cleanup.policy", list, "delete", {"delete", "compact"}},
      {"compression.type", "compression.type", string, "producer", {"producer"}},
      {"delete.retention.ms", "log.cleaner.delete.retention.ms", long_int, "86400000", {}, 0},
      {"flush.messages", "log.flush.interval.messages", long_int, "9223372036854775807", {}, 1},
      {"flush.ms", "log.flush.interval.ms", long_int, "9223372036854775807", {}, 0},
      {"index.interval.bytes", "log.index.interval.bytes", integer, "4096", {}, 0},
      {"max.message.bytes", "message.max.bytes", integer, "1048588", {}, 0},
      {"message.timestamp.type",
       "log.message.timestamp.type",
       string,
       "CreateTime",
       {"CreateTime", "LogAppendTime"}},
      {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", long_int, "0", {}, 0},
      {"min.insync.replicas", "min.insync.replicas", integer, "1", {}, 1},
      {"retention.bytes", "log.retention.bytes", long_int, "-1", {}, -1},
      {"retention.ms", "log.retention.ms", long_int, "604800000", {}, -1},
      {"segment.bytes", "log.segment.bytes", integer, "1073741824", {}, 14},
      {"segment.ms", "log.roll.ms", long_int, "604800000", {}, 1},
      {"unclean.leader.election.enable", "unclean.leader.election.enable", boolean, "false", {}},
  };
  return defs;
}

const topic_config_def* find_topic_config_def(std::string_view name) {
  for (const auto& d : topic_config_defs())
    if (d.name == name) return &d;
  return nullptr;
}

std::expected<void, std::string> validate_topic_config(const std::string& name,
                                                       const std::string& value) {
  const topic_config_def* def = find_topic_config_def(name);
  if (def == nullptr) return std::unexpected("Unknown topic config name: " + name);
  auto bad = [&](const std::string& why) {
    return std::unexpected("Invalid value " + value + " for configuration " + name + ": " + why);
  };
  switch (def->kind) {
    case config_kind::long_int:
    case config_kind::integer: {
      auto n = parse_int(value);
      if (!n) return bad("Not a number");
      if (def->kind == config_kind::integer && (*n > INT32_MAX || *n < INT32_MIN))
        return bad("Not a 32-bit integer");
      if (*n < def->min) return bad("Value must be at least " + std::to_string(def->min));
      return {};
    }
    case config_kind::boolean:
      if (!parse_bool(value)) return bad("Expected value to be either true or false");
      return {};
    case config_kind::string:
    case config_kind::list: {
      std::vector<std::string> items =
          def->kind == config_kind::list ? split_list(value) : std::vector<std::string>{value};
      if (items.empty()) return bad("Empty value");
      for (const auto& item : items) {
        bool ok = def->allowed.empty();
        for (auto a : def->allowed) ok |= (item == a);
        if (!ok) {
          std::string allowed;
          for (auto a : def->allowed) allowed += (allowed.empty() ? "" : ", ") + std::string(a);
          return bad("String must be one of: " + allowed);
        }
      }
      return {};
    }
  }
  return {};
}

std::map<std::string, std::string> topic_defaults_from(const config_map& broker) {
  std::map<std::string, std::string> out;
  for (const auto& d : topic_config_defs()) {
    out[std::string(d.name)] =
        broker.get(std::string(d.broker_key)).value_or(std::string(d.fallback));
  }
  // Kafka's coarser spellings, used when the millisecond key is not set.
  auto scaled = [&](const char* ms_key, const char* minutes_key, const char* hours_key,
                    const char* topic_key) {
    if (broker.contains(ms_key)) return;
    if (auto m = broker.get(minutes_key); m && parse_int(*m))
      out[topic_key] = std::to_string(*parse_int(*m) * 60'000);
    else if (auto h = broker.get(hours_key); h && parse_int(*h))
      out[topic_key] = std::to_string(*parse_int(*h) * 3'600'000);
  };
  scaled("log.retention.ms", "log.retention.minutes", "log.retention.hours", "retention.ms");
  scaled("log.roll.ms", "log.roll.minutes", "log.roll.hours", "segment.ms");
  return out;
}

topic_config resolve_topic_config(const std::map<std::string, std::string>& defaults,
                                  const std::map<std::string, std::string>& overrides) {
  auto value_of = [&](const std::string& name) -> std::string {
    if (auto it = overrides.find(name); it != overrides.end()) return it->second;
    if (auto it = defaults.find(name); it != defaults.end()) return it->second;
    return std::string(find_topic_config_def(name)->fallback);
  };
  auto number = [&](const std::string& name, int64_t fallback) {
    return parse_int(value_of(name)).value_or(fallback);
  };
  topic_config c;
  c.retention_ms = number("retention.ms", c.retention_ms);
  c.retention_bytes = number("retention.bytes", c.retention_bytes);
  c.segment_bytes = number("segment.bytes", c.segment_bytes);
  c.segment_ms = number("segment.ms", c.segment_ms);
  c.max_message_bytes = number("max.message.bytes", c.max_message_bytes);
  c.flush_messages = number("flush.messages", c.flush_messages);
  c.flush_ms = number("flush.ms", c.flush_ms);
  c.index_interval_bytes = number("index.interval.bytes", c.index_interval_bytes);
  c.delete_retention_ms = number("delete.retention.ms", c.delete_retention_ms);
  c.min_compaction_lag_ms = number("min.compaction.lag.ms", c.min_compaction_lag_ms);
  c.min_insync_replicas = number("min.insync.replicas", c.min_insync_replicas);
  const auto policies = split_list(value_of("cleanup.policy"));
  c.cleanup_delete = c.cleanup_compact = false;
  for (const auto& p : policies) {
    c.cleanup_delete |= (p == "delete");
    c.cleanup_compact |= (p == "compact");
  }
  c.log_append_time = value_of("message.timestamp.type") == "LogAppendTime";
  return c;
}

}  // namespace tern::storage
