// The decoded form of any Kafka message: a tree of values shaped by its schema (schema.h).
// Handlers read requests and build responses through it by field name.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/protocol/schema.h"
#include "common/shared_fd.h"

namespace tern::protocol {

struct uuid_value {
  std::array<uint8_t, 16> bytes{};

  bool is_zero() const;
  bool operator==(const uuid_value&) const = default;
  std::string to_string() const;  // the URL-safe base64 form Kafka tools print
};

// A byte range of an open file, sent as-is (sendfile) when a response is written.
struct file_slice {
  std::shared_ptr<const shared_fd> file;
  uint64_t position = 0;
  uint32_t length = 0;
};

// The `records` type: bytes held in memory, or slices of segment files for Fetch. Records
// decoded in place stay in the frame they arrived in (`in_frame`, kept alive by `frame`)
// instead of being copied into `bytes`.
struct records_value {
  std::string bytes;
  std::vector<file_slice> slices;
  std::shared_ptr<void> frame;
  std::span<char> in_frame;

  size_t size() const;
  // The records held in memory, wherever they are (the file slices aside).
  std::span<char> data() { return frame ? in_frame : std::span<char>(bytes); }
  std::string_view view() const {
    return frame ? std::string_view(in_frame.data(), in_frame.size()) : std::string_view(bytes);
  }
};

class value;
using value_array = std::vector<value>;

// A struct: one value per field of its schema, in schema order.
class struct_value {
 public:
  struct_value() = default;
  // Every field starts at its schema default.
  explicit struct_value(const std::vector<field>& fields);

  const std::vector<field>& fields() const { return *fields_; }
  std::vector<value>& values() { return values_; }
  const std::vector<value>& values() const { return values_; }

  // Lookup by field name; an unknown name is a programming error and aborts.
  value& operator[](std::string_view name);
  const value& operator[](std::string_view name) const;

  int64_t integer(std::string_view name) const;
  const std::string& string(std::string_view name) const;
  bool is_null(std::string_view name) const;
  const value_array& array(std::string_view name) const;
  value_array& array(std::string_view name);

  // Appends a default element to an array-of-structs field and returns it.
  struct_value& add(std::string_view array_name);

 private:
  size_t index_of(std::string_view name) const;

  const std::vector<field>* fields_ = nullptr;
  std::vector<value> values_;
};

class value {
 public:
  using storage = std::variant<std::monostate, bool, int64_t, double, std::string, uuid_value,
                               records_value, value_array, struct_value>;

  value() = default;
  value(bool b) : data_(b) {}
  value(int v) : data_(int64_t{v}) {}
  value(int64_t v) : data_(v) {}
  value(double v) : data_(v) {}
  value(std::string s) : data_(std::move(s)) {}
  value(std::string_view s) : data_(std::string(s)) {}
  value(const char* s) : data_(std::string(s)) {}
  value(uuid_value u) : data_(u) {}
  value(records_value r) : data_(std::move(r)) {}
  value(value_array a) : data_(std::move(a)) {}
  value(struct_value s) : data_(std::move(s)) {}

  static value null() { return value(); }

  bool is_null() const { return std::holds_alternative<std::monostate>(data_); }
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;
  const uuid_value& as_uuid() const;
  const records_value& as_records() const;
  records_value& as_records();
  const value_array& as_array() const;
  value_array& as_array();
  const struct_value& as_struct() const;
  struct_value& as_struct();

  storage& data() { return data_; }
  const storage& data() const { return data_; }

 private:
  storage data_;
};

// The default value of a field, as a decoder gives it for a version without the field.
value default_value(const field& f);

}  // namespace tern::protocol
