// The message value tree: construction from a schema and checked accessors.
#include "broker/protocol/value.h"

#include <cstdio>
#include <cstdlib>

namespace tern::protocol {

namespace {

[[noreturn]] void wrong_use(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "tern: protocol value misuse: %.*s '%.*s'\n", int(what.size()), what.data(),
               int(name.size()), name.data());
  std::abort();
}

template <typename T>
const T& get_as(const value::storage& data, std::string_view type_name) {
  const T* p = std::get_if<T>(&data);
  if (p == nullptr) wrong_use("value is not a", type_name);
  return *p;
}

}  // namespace

bool uuid_value::is_zero() const {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

std::string uuid_value::to_string() const {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

size_t records_value::size() const {
  size_t n = view().size();
  for (const auto& s : slices) n += s.length;
  return n;
}

value default_value(const field& f) {
  switch (f.type) {
    case field_type::boolean:
      return value(f.default_int != 0);
    case field_type::int8:
    case field_type::int16:
    case field_type::uint16:
    case field_type::int32:
    case field_type::uint32:
    case field_type::int64:
      return value(f.default_int);
    case field_type::float64:
      return value(double(f.default_int));
    case field_type::uuid:
      return value(uuid_value{});
    case field_type::string:
    case field_type::bytes:
      return f.default_null ? value::null() : value(std::string());
    case field_type::records:
      return value::null();
    case field_type::array:
      return f.default_null ? value::null() : value(value_array{});
    case field_type::structure:
      return value(struct_value(f.children));
  }
  return value::null();
}

struct_value::struct_value(const std::vector<field>& fields) : fields_(&fields) {
  values_.reserve(fields.size());
  for (const field& f : fields) values_.push_back(default_value(f));
}

size_t struct_value::index_of(std::string_view name) const {
  if (fields_ != nullptr) {
    for (size_t i = 0; i < fields_->size(); ++i)
      if ((*fields_)[i].name == name) return i;
  }
  wrong_use("no field named", name);
}

value& struct_value::operator[](std::string_view name) {
  return values_[index_of(name)];
}
const value& struct_value::operator[](std::string_view name) const {
  return values_[index_of(name)];
}

int64_t struct_value::integer(std::string_view name) const {
  return (*this)[name].as_int();
}
const std::string& struct_value::string(std::string_view name) const {
  return (*this)[name].as_string();
}
bool struct_value::is_null(std::string_view name) const {
  return (*this)[name].is_null();
}
const value_array& struct_value::array(std::string_view name) const {
  return (*this)[name].as_array();
}
value_array& struct_value::array(std::string_view name) {
  value& v = (*this)[name];
  if (v.is_null()) v = value(value_array{});
  return v.as_array();
}

struct_value& struct_value::add(std::string_view array_name) {
  const size_t i = index_of(array_name);
  const field& f = (*fields_)[i];
  if (!f.is_struct_array()) wrong_use("not an array of structs:", array_name);
  value_array& arr = array(array_name);
  arr.emplace_back(struct_value(f.children));
  return arr.back().as_struct();
}

bool value::as_bool() const {
  return get_as<bool>(data_, "bool");
}
int64_t value::as_int() const {
  return get_as<int64_t>(data_, "integer");
}
double value::as_double() const {
  return get_as<double>(data_, "float64");
}
const std::string& value::as_string() const {
  static const std::string kEmpty;
  if (is_null()) return kEmpty;
  return get_as<std::string>(data_, "string");
}
const uuid_value& value::as_uuid() const {
  return get_as<uuid_value>(data_, "uuid");
}
const records_value& value::as_records() const {
  static const records_value kEmpty;
  if (is_null()) return kEmpty;
  return get_as<records_value>(data_, "records");
}
records_value& value::as_records() {
  if (is_null()) data_ = records_value{};
  return std::get<records_value>(data_);
}
const value_array& value::as_array() const {
  static const value_array kEmpty;
  if (is_null()) return kEmpty;
  return get_as<value_array>(data_, "array");
}
value_array& value::as_array() {
  if (is_null()) data_ = value_array{};
  auto* p = std::get_if<value_array>(&data_);
  if (p == nullptr) wrong_use("value is not an", "array");
  return *p;
}
const struct_value& value::as_struct() const {
  return get_as<struct_value>(data_, "struct");
}
struct_value& value::as_struct() {
  auto* p = std::get_if<struct_value>(&data_);
  if (p == nullptr) wrong_use("value is not a", "struct");
  return *p;
}

}  // namespace tern::protocol
