// Schemas and codec calls for __consumer_offsets records.
#include "broker/group/offsets_records.h"

#include "broker/protocol/codec.h"

namespace tern::group {

namespace {

using namespace tern::protocol;

const message_schema& offset_key_schema() {
  using enum field_type;
  static const message_schema s{
      "OffsetCommitKey",
      versions(0, 1),
      kNoVersions,
      {scalar("group", string), scalar("topic", string), scalar("partition", int32)}};
  return s;
}

const message_schema& group_key_schema() {
  using enum field_type;
  static const message_schema s{
      "GroupMetadataKey", versions(2, 2), kNoVersions, {scalar("group", string)}};
  return s;
}

const message_schema& offset_value_schema() {
  using enum field_type;
  static const message_schema s{
      "OffsetCommitValue",
      versions(0, 3),
      kNoVersions,
      {scalar("offset", int64), scalar("leader_epoch", int32, since(3)).defaults_to(-1),
       scalar("metadata", string), scalar("commit_timestamp", int64),
       scalar("expire_timestamp", int64, versions(1, 1)).defaults_to(-1)}};
  return s;
}

const message_schema& group_value_schema() {
  using enum field_type;
  static const message_schema s{
      "GroupMetadataValue",
      versions(0, 3),
      kNoVersions,
      {scalar("protocol_type", string), scalar("generation", int32),
       scalar("protocol", string).nullable_in(since(0)),
       scalar("leader", string).nullable_in(since(0)),
       scalar("current_state_timestamp", int64, since(2)).defaults_to(-1),
       struct_array(
           "members", since(0),
           {scalar("member_id", string),
            scalar("group_instance_id", string, since(3)).nullable_in(since(3)).defaults_to_null(),
            scalar("client_id", string), scalar("client_host", string),
            scalar("rebalance_timeout", int32, since(1)), scalar("session_timeout", int32),
            scalar("subscription", bytes), scalar("assignment", bytes)})}};
  return s;
}

constexpr int16_t kOffsetKeyVersion = 1;
constexpr int16_t kGroupKeyVersion = 2;
constexpr int16_t kOffsetValueVersion = 3;
constexpr int16_t kGroupValueVersion = 3;

std::string encode_versioned(const message_schema& schema, int16_t version, const struct_value& v) {
  encoded_message out;
  byte_writer w(out.bytes);
  w.i16(version);
  encode(schema, version, v, out);
  return std::move(out.bytes);
}

std::optional<struct_value> decode_versioned(const message_schema& schema, std::string_view bytes,
                                             int16_t* version) {
  try {
    byte_reader in(bytes);
    *version = in.i16();
    if (!schema.valid.contains(*version)) return std::nullopt;
    return decode(schema, *version, in);
  } catch (const malformed_input&) {
    return std::nullopt;
  }
}

value optional_string(const std::optional<std::string>& s) {
  return s ? value(*s) : value::null();
}

std::optional<std::string> optional_of(const struct_value& s, std::string_view name) {
  if (s.is_null(name)) return std::nullopt;
  return s.string(name);
}

}  // namespace

std::string encode_key(const offset_key& k) {
  struct_value v(offset_key_schema().fields);
  v["group"] = k.group;
  v["topic"] = k.topic;
  v["partition"] = int64_t{k.partition};
  return encode_versioned(offset_key_schema(), kOffsetKeyVersion, v);
}

std::string encode_key(const group_key& k) {
  struct_value v(group_key_schema().fields);
  v["group"] = k.group;
  return encode_versioned(group_key_schema(), kGroupKeyVersion, v);
}

std::string encode_value(const offset_value& o) {
  struct_value v(offset_value_schema().fields);
  v["offset"] = o.offset;
  v["leader_epoch"] = int64_t{o.leader_epoch};
  v["metadata"] = o.metadata;
  v["commit_timestamp"] = o.commit_timestamp;
  return encode_versioned(offset_value_schema(), kOffsetValueVersion, v);
}

std::string encode_value(const group_value& g) {
  struct_value v(group_value_schema().fields);
  v["protocol_type"] = g.protocol_type;
  v["generation"] = int64_t{g.generation};
  v["protocol"] = optional_string(g.protocol);
  v["leader"] = optional_string(g.leader);
  v["current_state_timestamp"] = g.state_timestamp;
  for (const auto& m : g.members) {
    auto& e = v.add("members");
    e["member_id"] = m.member_id;
    e["group_instance_id"] = optional_string(m.group_instance_id);
    e["client_id"] = m.client_id;
    e["client_host"] = m.client_host;
    e["rebalance_timeout"] = int64_t{m.rebalance_timeout_ms};
    e["session_timeout"] = int64_t{m.session_timeout_ms};
    e["subscription"] = m.subscription;
    e["assignment"] = m.assignment;
  }
  return encode_versioned(group_value_schema(), kGroupValueVersion, v);
}

std::optional<any_key> decode_key(std::string_view bytes) {
  if (bytes.size() < 2) return std::nullopt;
  int16_t version = 0;
  if (bytes[0] == 0 && (bytes[1] == 0 || bytes[1] == 1)) {
    auto v = decode_versioned(offset_key_schema(), bytes, &version);
    if (!v) return std::nullopt;
    return offset_key{v->string("group"), v->string("topic"),
                      static_cast<int32_t>(v->integer("partition"))};
  }
  auto v = decode_versioned(group_key_schema(), bytes, &version);
  if (!v) return std::nullopt;
  return group_key{v->string("group")};
}

std::optional<offset_value> decode_offset_value(std::string_view bytes) {
  int16_t version = 0;
  auto v = decode_versioned(offset_value_schema(), bytes, &version);
  if (!v) return std::nullopt;
  return offset_value{v->integer("offset"), static_cast<int32_t>(v->integer("leader_epoch")),
                      v->string("metadata"), v->integer("commit_timestamp")};
}

std::optional<group_value> decode_group_value(std::string_view bytes) {
  int16_t version = 0;
  auto v = decode_versioned(group_value_schema(), bytes, &version);
  if (!v) return std::nullopt;
  group_value g;
  g.protocol_type = v->string("protocol_type");
  g.generation = static_cast<int32_t>(v->integer("generation"));
  g.protocol = optional_of(*v, "protocol");
  g.leader = optional_of(*v, "leader");
  g.state_timestamp = v->integer("current_state_timestamp");
  for (const auto& mv : v->array("members")) {
    const auto& m = mv.as_struct();
    g.members.push_back({m.string("member_id"), optional_of(m, "group_instance_id"),
                         m.string("client_id"), m.string("client_host"),
                         static_cast<int32_t>(m.integer("rebalance_timeout")),
                         static_cast<int32_t>(m.integer("session_timeout")),
                         m.string("subscription"), m.string("assignment")});
  }
  return g;
}

}  // namespace tern::group
