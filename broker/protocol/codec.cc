// Schema-driven decoding and encoding of Kafka messages.
#include "broker/protocol/codec.h"

#include <algorithm>
#include <cassert>

namespace tern::protocol {

namespace {

struct context {
  int16_t version;
  bool flexible;
  // decode_in_place: the writable frame being read, which large records stay in.
  std::shared_ptr<void> frame = nullptr;
};

// Smaller records are copied: keeping a whole frame alive for them is not worth it.
constexpr size_t kInPlaceRecordsMin = 4096;

// ---- decoding -------------------------------------------------------------------------

value decode_fields(const std::vector<field>& fields, const context& cx, byte_reader& in);

// Reads a length prefix: compact (unsigned varint, 0 = null) in flexible versions, else
// a signed int16/int32 (-1 = null). Returns -1 for null.
int64_t read_length(const context& cx, byte_reader& in, bool wide) {
  if (cx.flexible) return static_cast<int64_t>(in.uvarint32()) - 1;
  return wide ? in.i32() : in.i16();
}

void check_null_allowed(const field& f, const context& cx) {
  if (!f.nullable.contains(cx.version))
    throw malformed_input("null in non-nullable field " + std::string(f.name));
}

value decode_primitive(field_type type, const field& f, const context& cx, byte_reader& in) {
  switch (type) {
    case field_type::boolean:
      return value(in.u8() != 0);
    case field_type::int8:
      return value(int64_t{in.i8()});
    case field_type::int16:
      return value(int64_t{in.i16()});
    case field_type::uint16:
      return value(int64_t{in.u16()});
    case field_type::int32:
      return value(int64_t{in.i32()});
    case field_type::uint32:
      return value(int64_t{in.u32()});
    case field_type::int64:
      return value(in.i64());
    case field_type::float64:
      return value(in.f64());
    case field_type::uuid: {
      uuid_value u;
      std::string_view b = in.take(16);
      std::copy(b.begin(), b.end(), u.bytes.begin());
      return value(u);
    }
    case field_type::string:
    case field_type::bytes:
    case field_type::records: {
      const bool wide = type != field_type::string;
      const int64_t n = read_length(cx, in, wide);
      if (n < 0) {
        check_null_allowed(f, cx);
        return value::null();
      }
      std::string_view b = in.take(static_cast<size_t>(n));
      if (type == field_type::records) {
        if (cx.frame && b.size() >= kInPlaceRecordsMin)
          return value(records_value{
              {}, {}, cx.frame, std::span<char>(const_cast<char*>(b.data()), b.size())});
        return value(records_value{std::string(b), {}});
      }
      return value(std::string(b));
    }
    case field_type::array:
    case field_type::structure:
      break;
  }
  throw malformed_input("unexpected field type");
}

value decode_field(const field& f, const context& cx, byte_reader& in) {
  if (f.type == field_type::structure) return decode_fields(f.children, cx, in);
  if (f.type != field_type::array) return decode_primitive(f.type, f, cx, in);
  const int64_t n = read_length(cx, in, true);
  if (n < 0) {
    check_null_allowed(f, cx);
    return value::null();
  }
  // Every element takes at least one byte, so a count beyond the input is a lie: refuse it
  // before reserving memory for it.
  if (static_cast<uint64_t>(n) > in.remaining()) throw malformed_input("array count too large");
  value_array items;
  items.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (f.is_struct_array())
      items.push_back(decode_fields(f.children, cx, in));
    else
      items.push_back(decode_primitive(f.element, f, cx, in));
  }
  return value(std::move(items));
}

value decode_fields(const std::vector<field>& fields, const context& cx, byte_reader& in) {
  struct_value out(fields);
  auto& values = out.values();
  for (size_t i = 0; i < fields.size(); ++i) {
    const field& f = fields[i];
    if (!f.present.contains(cx.version)) continue;  // keeps its default
    if (cx.flexible && f.tagged.contains(cx.version)) continue;
    values[i] = decode_field(f, cx, in);
  }
  if (cx.flexible) {
    const uint32_t count = in.uvarint32();
    if (count > in.remaining()) throw malformed_input("tagged field count too large");
    for (uint32_t t = 0; t < count; ++t) {
      const uint32_t tag = in.uvarint32();
      const uint32_t size = in.uvarint32();
      std::string_view body = in.take(size);
      for (size_t i = 0; i < fields.size(); ++i) {
        const field& f = fields[i];
        if (f.tag == static_cast<int32_t>(tag) && f.tagged.contains(cx.version)) {
          byte_reader sub(body);
          values[i] = decode_field(f, cx, sub);
          break;
        }
      }
      // Unknown tags are skipped, as the protocol requires.
    }
  }
  return value(std::move(out));
}

// ---- encoding -------------------------------------------------------------------------

void encode_fields(const std::vector<field>& fields, const struct_value& s, const context& cx,
                   encoded_message& out);

void write_length(const context& cx, byte_writer& w, int64_t n, bool wide) {
  if (cx.flexible)
    w.uvarint(static_cast<uint64_t>(n + 1));
  else if (wide)
    w.i32(static_cast<int32_t>(n));
  else
    w.i16(static_cast<int16_t>(n));
}

void encode_primitive(field_type type, const value& v, const context& cx, encoded_message& out) {
  byte_writer w(out.bytes);
  switch (type) {
    case field_type::boolean:
      w.u8(v.as_bool() ? 1 : 0);
      return;
    case field_type::int8:
      w.i8(static_cast<int8_t>(v.as_int()));
      return;
    case field_type::int16:
      w.i16(static_cast<int16_t>(v.as_int()));
      return;
    case field_type::uint16:
      w.u16(static_cast<uint16_t>(v.as_int()));
      return;
    case field_type::int32:
      w.i32(static_cast<int32_t>(v.as_int()));
      return;
    case field_type::uint32:
      w.u32(static_cast<uint32_t>(v.as_int()));
      return;
    case field_type::int64:
      w.i64(v.as_int());
      return;
    case field_type::float64:
      w.f64(v.as_double());
      return;
    case field_type::uuid:
      w.bytes(std::string_view(reinterpret_cast<const char*>(v.as_uuid().bytes.data()), 16));
      return;
    case field_type::string:
    case field_type::bytes:
      if (v.is_null()) {
        write_length(cx, w, -1, type == field_type::bytes);
      } else {
        write_length(cx, w, static_cast<int64_t>(v.as_string().size()), type == field_type::bytes);
        w.bytes(v.as_string());
      }
      return;
    case field_type::records: {
      if (v.is_null()) {
        write_length(cx, w, -1, true);
        return;
      }
      const records_value& r = v.as_records();
      write_length(cx, w, static_cast<int64_t>(r.size()), true);
      w.bytes(r.view());
      for (const file_slice& s : r.slices) out.splices.push_back({out.bytes.size(), s});
      return;
    }
    case field_type::array:
    case field_type::structure:
      break;
  }
  assert(false && "encode_primitive on a composite type");
}

void encode_field(const field& f, const value& v, const context& cx, encoded_message& out) {
  if (f.type == field_type::structure) {
    encode_fields(f.children, v.as_struct(), cx, out);
    return;
  }
  if (f.type != field_type::array) {
    encode_primitive(f.type, v, cx, out);
    return;
  }
  byte_writer w(out.bytes);
  if (v.is_null()) {
    write_length(cx, w, -1, true);
    return;
  }
  const value_array& items = v.as_array();
  write_length(cx, w, static_cast<int64_t>(items.size()), true);
  for (const value& item : items) {
    if (f.is_struct_array())
      encode_fields(f.children, item.as_struct(), cx, out);
    else
      encode_primitive(f.element, item, cx, out);
  }
}

// A tagged field is written only when it differs from its default.
bool is_default(const field& f, const value& v) {
  if (v.is_null()) return f.default_null || f.type == field_type::records;
  switch (f.type) {
    case field_type::boolean:
      return v.as_bool() == (f.default_int != 0);
    case field_type::float64:
      return v.as_double() == double(f.default_int);
    case field_type::uuid:
      return v.as_uuid().is_zero();
    case field_type::string:
    case field_type::bytes:
      return !f.default_null && v.as_string().empty();
    case field_type::array:
      return !f.default_null && v.as_array().empty();
    case field_type::records:
      return false;
    case field_type::structure: {
      const struct_value& s = v.as_struct();
      for (size_t i = 0; i < f.children.size(); ++i)
        if (!is_default(f.children[i], s.values()[i])) return false;
      return true;
    }
    default:
      return v.as_int() == f.default_int;
  }
}

void encode_fields(const std::vector<field>& fields, const struct_value& s, const context& cx,
                   encoded_message& out) {
  const auto& values = s.values();
  size_t tagged = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    const field& f = fields[i];
    if (!f.present.contains(cx.version)) continue;
    if (cx.flexible && f.tagged.contains(cx.version)) {
      if (!is_default(f, values[i])) ++tagged;
      continue;
    }
    encode_field(f, values[i], cx, out);
  }
  if (!cx.flexible) return;
  byte_writer w(out.bytes);
  w.uvarint(tagged);
  if (tagged == 0) return;
  // Tags go in ascending order, each prefixed by its size.
  std::vector<const field*> order;
  for (size_t i = 0; i < fields.size(); ++i) {
    const field& f = fields[i];
    if (f.present.contains(cx.version) && f.tagged.contains(cx.version) &&
        !is_default(f, values[i]))
      order.push_back(&f);
  }
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->tag < b->tag; });
  for (const field* f : order) {
    encoded_message body;
    encode_field(*f, values[static_cast<size_t>(f - fields.data())], cx, body);
    assert(body.splices.empty() && "records cannot be tagged");
    w.uvarint(static_cast<uint64_t>(f->tag));
    w.uvarint(body.bytes.size());
    w.bytes(body.bytes);
  }
}

}  // namespace

size_t encoded_message::total_size() const {
  size_t n = bytes.size();
  for (const auto& s : splices) n += s.slice.length;
  return n;
}

struct_value decode(const message_schema& schema, int16_t version, byte_reader& in) {
  const context cx{version, schema.flexible.contains(version)};
  value v = decode_fields(schema.fields, cx, in);
  return std::move(v.as_struct());
}

struct_value decode_in_place(const message_schema& schema, int16_t version, byte_reader& in,
                             std::shared_ptr<void> frame) {
  const context cx{version, schema.flexible.contains(version), std::move(frame)};
  value v = decode_fields(schema.fields, cx, in);
  return std::move(v.as_struct());
}

void encode(const message_schema& schema, int16_t version, const struct_value& message,
            encoded_message& out) {
  const context cx{version, schema.flexible.contains(version)};
  encode_fields(schema.fields, message, cx, out);
}

}  // namespace tern::protocol
