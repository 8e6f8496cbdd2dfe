// The records of the internal __consumer_offsets topic, in Kafka's layouts: each key and
// value is an int16 version followed by a message described in the schema notation, so the
// files stay readable by Kafka's own tools.
//   key v0/v1: offset commit   (group, topic, partition)
//   key v2:    group metadata  (group)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tern::group {

struct offset_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;
};

struct offset_value {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
};

struct group_key {
  std::string group;
};

struct member_record {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string subscription;
  std::string assignment;
};

struct group_value {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t state_timestamp = -1;
  std::vector<member_record> members;
};

std::string encode_key(const offset_key& k);
std::string encode_key(const group_key& k);
std::string encode_value(const offset_value& v);
std::string encode_value(const group_value& v);

using any_key = std::variant<offset_key, group_key>;
// nullopt for bytes that are not a key of a known version.
std::optional<any_key> decode_key(std::string_view bytes);
std::optional<offset_value> decode_offset_value(std::string_view bytes);
std::optional<group_value> decode_group_value(std::string_view bytes);

}  // namespace tern::group
