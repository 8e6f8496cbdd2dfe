// The codec against every schema in the table, plus hand-made byte sequences and damage.
#include "broker/protocol/codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "broker/protocol/messages/messages.h"
#include "broker/server/api_registry.h"

namespace tern::protocol {
namespace {

std::vector<const api_schema*> every_schema() {
  namespace m = messages;
  return {&m::produce(),
          &m::fetch(),
          &m::list_offsets(),
          &m::metadata(),
          &m::api_versions(),
          &m::create_topics(),
          &m::delete_topics(),
          &m::init_producer_id(),
          &m::describe_configs(),
          &m::alter_configs(),
          &m::create_partitions(),
          &m::incremental_alter_configs(),
          &m::describe_cluster(),
          &m::find_coordinator(),
          &m::offset_commit(),
          &m::offset_fetch(),
          &m::join_group(),
          &m::heartbeat(),
          &m::leave_group(),
          &m::sync_group(),
          &m::describe_groups(),
          &m::list_groups(),
          &m::delete_groups(),
          &m::offset_delete(),
          &m::offset_for_leader_epoch(),
          &m::elect_leaders(),
          &m::alter_partition_reassignments(),
          &m::list_partition_reassignments()};
}

// Fills every field with a non-default value so each one travels on the wire.
void fill(struct_value& s, int depth = 0) {
  const auto& fields = s.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    const field& f = fields[i];
    value& v = s.values()[i];
    switch (f.type) {
      case field_type::boolean:
        v = value(true);
        break;
      case field_type::int8:
      case field_type::int16:
      case field_type::uint16:
      case field_type::int32:
      case field_type::uint32:
      case field_type::int64:
        v = value(int64_t{7 + static_cast<int64_t>(i)});
        break;
      case field_type::float64:
        v = value(2.5);
        break;
      case field_type::uuid: {
        uuid_value u;
        u.bytes[3] = 9;
        v = value(u);
        break;
      }
      case field_type::string:
      case field_type::bytes:
        v = value(std::string(f.name));
        break;
      case field_type::records:
        v = value(records_value{"records!", {}});
        break;
      case field_type::structure:
        fill(v.as_struct(), depth + 1);
        break;
      case field_type::array:
        if (f.is_struct_array()) {
          struct_value e(f.children);
          fill(e, depth + 1);
          v = value(value_array{value(std::move(e))});
        } else if (f.element == field_type::string) {
          v = value(value_array{value("a"), value("b")});
        } else {
          v = value(value_array{value(int64_t{1}), value(int64_t{2})});
        }
        break;
    }
  }
}

void expect_round_trip(const message_schema& schema, int16_t version) {
  struct_value original(schema.fields);
  fill(original);
  encoded_message first;
  encode(schema, version, original, first);
  byte_reader in(first.bytes);
  struct_value decoded = decode(schema, version, in);
  EXPECT_TRUE(in.at_end()) << schema.name << " v" << version << " left bytes unread";
  encoded_message second;
  encode(schema, version, decoded, second);
  EXPECT_EQ(first.bytes, second.bytes) << schema.name << " v" << version;
}

TEST(Codec, EveryMessageOfEveryVersionRoundTrips) {
  int checked = 0;
  for (const api_schema* api : every_schema()) {
    for (int16_t v = api->request.valid.min; v <= api->request.valid.max; ++v) {
      expect_round_trip(api->request, v);
      expect_round_trip(api->response, v);
      ++checked;
    }
  }
  EXPECT_GT(checked, 150);
}

TEST(Codec, RegistryAdvertisesOnlyVersionsItsSchemasDescribe) {
  for (const auto& h : server::api_handlers()) {
    EXPECT_GE(h.advertised.min, h.schema->request.valid.min) << h.schema->name;
    EXPECT_LE(h.advertised.max, h.schema->request.valid.max) << h.schema->name;
    EXPECT_EQ(h.schema->request.valid.min, h.schema->response.valid.min) << h.schema->name;
  }
}

TEST(Codec, ApiVersionsV3RequestFromBytes) {
  // client_software_name "librdkafka", version "2.0.2" (compact strings), no tags.
  std::string bytes;
  byte_writer w(bytes);
  w.uvarint(11);
  w.bytes("librdkafka");
  w.uvarint(6);
  w.bytes("2.0.2");
  w.uvarint(0);
  byte_reader in(bytes);
  auto req = decode(messages::api_versions().request, 3, in);
  EXPECT_EQ(req.string("client_software_name"), "librdkafka");
  EXPECT_EQ(req.string("client_software_version"), "2.0.2");
  EXPECT_TRUE(in.at_end());
}

TEST(Codec, MetadataV1NullTopicsMeansAll) {
  std::string bytes;
  byte_writer w(bytes);
  w.i32(-1);
  byte_reader in(bytes);
  auto req = decode(messages::metadata().request, 1, in);
  EXPECT_TRUE(req.is_null("topics"));
}

TEST(Codec, NullInNonNullableFieldIsMalformed) {
  std::string bytes;
  byte_writer w(bytes);
  w.i32(-1);  // topics: null is not allowed in v0
  byte_reader in(bytes);
  EXPECT_THROW(decode(messages::metadata().request, 0, in), malformed_input);
}

TEST(Codec, UnknownTaggedFieldsAreSkipped) {
  std::string bytes;
  byte_writer w(bytes);
  w.uvarint(2);
  w.bytes("x");
  w.uvarint(2);
  w.bytes("y");
  w.uvarint(1);   // one tagged field
  w.uvarint(99);  // unknown tag
  w.uvarint(3);   // of 3 bytes
  w.bytes("abc");
  byte_reader in(bytes);
  auto req = decode(messages::api_versions().request, 3, in);
  EXPECT_EQ(req.string("client_software_name"), "x");
  EXPECT_TRUE(in.at_end());
}

TEST(Codec, DefaultTaggedStructsAreNotWritten) {
  const auto& schema = messages::fetch().response;
  struct_value r(schema.fields);
  auto& topic = r.add("responses");
  auto& part = topic.add("partitions");
  part["records"] = records_value{};
  encoded_message out;
  encode(schema, 12, r, out);
  // The partition ends with records (length 1 = empty), then a zero tagged-field count.
  ASSERT_GE(out.bytes.size(), 2u);
  EXPECT_EQ(out.bytes[out.bytes.size() - 4], '\x01');  // records: compact length 0 + 1
  EXPECT_EQ(out.bytes[out.bytes.size() - 3], '\x00');  // partition tags: none
}

TEST(Codec, TruncatedInputIsMalformedAtEveryLength) {
  const auto& schema = messages::produce().request;
  struct_value original(schema.fields);
  fill(original);
  encoded_message full;
  encode(schema, 9, original, full);
  for (size_t n = 0; n < full.bytes.size(); ++n) {
    byte_reader in(std::string_view(full.bytes).substr(0, n));
    EXPECT_THROW(decode(schema, 9, in), malformed_input) << "length " << n;
  }
}

TEST(Codec, HugeArrayCountIsRefusedBeforeAllocating) {
  std::string bytes;
  byte_writer w(bytes);
  w.i16(-1);          // transactional_id null
  w.i16(1);           // acks
  w.i32(1000);        // timeout
  w.i32(0x7fffffff);  // topic_data count, far beyond the input
  byte_reader in(bytes);
  EXPECT_THROW(decode(messages::produce().request, 3, in), malformed_input);
}

// A Produce v3 request for one partition whose records are `records`.
std::string produce_request(const std::string& records) {
  const auto& schema = messages::produce().request;
  struct_value req(schema.fields);
  req["acks"] = int64_t{-1};
  req["timeout_ms"] = int64_t{1000};
  auto& topic = req.add("topic_data");
  topic["name"] = std::string("t");
  auto& part = topic.add("partition_data");
  part["index"] = int64_t{0};
  part["records"] = records_value{records, {}};
  encoded_message out;
  encode(schema, 3, req, out);
  return out.bytes;
}

records_value& first_records(struct_value& req) {
  return req.array("topic_data")[0]
      .as_struct()
      .array("partition_data")[0]
      .as_struct()["records"]
      .as_records();
}

TEST(Codec, LargeRecordsDecodedInPlaceStayInTheFrame) {
  const std::string records(10000, 'r');
  const std::string encoded = produce_request(records);
  std::shared_ptr<char[]> frame(new char[encoded.size()]);
  std::memcpy(frame.get(), encoded.data(), encoded.size());
  byte_reader in(std::string_view(frame.get(), encoded.size()));
  struct_value req = decode_in_place(messages::produce().request, 3, in, frame);
  auto& rec = first_records(req);
  EXPECT_TRUE(rec.bytes.empty());
  ASSERT_EQ(rec.view(), records);
  EXPECT_GE(rec.data().data(), frame.get());
  EXPECT_LE(rec.data().data() + rec.data().size(), frame.get() + encoded.size());
  // Written through (a leader stamps offsets into the batches), and kept alive by the value.
  rec.data()[0] = 'X';
  EXPECT_EQ(frame.get()[rec.data().data() - frame.get()], 'X');
  frame.reset();
  EXPECT_EQ(rec.view().substr(0, 2), "Xr");
  // Encoded again, the records are the same bytes.
  encoded_message again;
  encode(messages::produce().request, 3, req, again);
  EXPECT_EQ(again.bytes.size(), encoded.size());
}

TEST(Codec, SmallRecordsDecodedInPlaceAreCopied) {
  const std::string encoded = produce_request("tiny");
  std::shared_ptr<char[]> frame(new char[encoded.size()]);
  std::memcpy(frame.get(), encoded.data(), encoded.size());
  byte_reader in(std::string_view(frame.get(), encoded.size()));
  struct_value req = decode_in_place(messages::produce().request, 3, in, frame);
  auto& rec = first_records(req);
  EXPECT_EQ(rec.bytes, "tiny");
  EXPECT_EQ(rec.frame, nullptr);
}

TEST(Codec, RecordsFileSlicesAreSplicedNotCopied) {
  const auto& schema = messages::fetch().response;
  struct_value r(schema.fields);
  auto& part = r.add("responses").add("partitions");
  records_value rec;
  rec.slices.push_back({nullptr, 100, 4096});
  part["records"] = rec;
  encoded_message out;
  encode(schema, 11, r, out);
  ASSERT_EQ(out.splices.size(), 1u);
  EXPECT_EQ(out.total_size(), out.bytes.size() + 4096);
  // The int32 length before the splice point announces the slice's bytes.
  EXPECT_EQ(load_be32(out.bytes.data() + out.splices[0].at - 4), 4096u);
}

}  // namespace
}  // namespace tern::protocol
