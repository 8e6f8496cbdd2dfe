// The declarative description of Kafka messages: every API's request and response is
// written once as a tree of fields, and the one codec (codec.h) reads and writes all of them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace tern::protocol {

inline constexpr int16_t kMaxVersion = 0x7fff;

// An inclusive range of message versions; min > max means "no version".
struct version_range {
  int16_t min = 0;
  int16_t max = kMaxVersion;

  constexpr bool contains(int16_t v) const { return v >= min && v <= max; }
  constexpr bool empty() const { return min > max; }
};

inline constexpr version_range kNoVersions{1, 0};

// `since(3)` is "3+", `versions(0, 4)` is "0-4", as in Kafka's message JSON.
constexpr version_range since(int16_t v) {
  return {v, kMaxVersion};
}
constexpr version_range versions(int16_t lo, int16_t hi) {
  return {lo, hi};
}

enum class field_type : uint8_t {
  boolean,
  int8,
  int16,
  uint16,
  int32,
  uint32,
  int64,
  float64,
  uuid,
  string,
  bytes,
  records,
  array,      // array of `element` primitives, or of structs when `children` is set
  structure,  // a single nested struct made of `children`
};

struct field {
  std::string_view name;
  field_type type = field_type::int32;
  version_range present = since(0);
  version_range nullable = kNoVersions;
  int32_t tag = -1;                    // >= 0 for a tagged field
  version_range tagged = kNoVersions;  // the versions in which it travels as a tagged field
  int64_t default_int = 0;             // value of an integer field absent from a version
  bool default_null = false;           // string/bytes/array absent from a version reads as null
  field_type element = field_type::int32;
  std::vector<field> children;

  // Builders, so that a table reads like Kafka's JSON.
  field nullable_in(version_range v) const {
    field f = *this;
    f.nullable = v;
    return f;
  }
  field tagged_as(int32_t t, version_range v) const {
    field f = *this;
    f.tag = t;
    f.tagged = v;
    return f;
  }
  field defaults_to(int64_t v) const {
    field f = *this;
    f.default_int = v;
    return f;
  }
  field defaults_to_null() const {
    field f = *this;
    f.default_null = true;
    return f;
  }
  bool is_struct_array() const { return type == field_type::array && !children.empty(); }
};

inline field scalar(std::string_view name, field_type type, version_range present = since(0)) {
  field f;
  f.name = name;
  f.type = type;
  f.present = present;
  return f;
}

// An array of primitives, e.g. `[]int32`.
inline field array_of(std::string_view name, field_type element, version_range present = since(0)) {
  field f = scalar(name, field_type::array, present);
  f.element = element;
  return f;
}

// An array of structs, e.g. `[]CreatableTopic`.
inline field struct_array(std::string_view name, version_range present,
                          std::initializer_list<field> children) {
  field f = scalar(name, field_type::array, present);
  f.children = children;
  return f;
}

// A single nested struct.
inline field struct_field(std::string_view name, version_range present,
                          std::initializer_list<field> children) {
  field f = scalar(name, field_type::structure, present);
  f.children = children;
  return f;
}

// One message: a request or a response of one API.
struct message_schema {
  std::string_view name;
  version_range valid;
  version_range flexible;
  std::vector<field> fields;
};

// The request and response of one API key.
struct api_schema {
  int16_t key;
  std::string_view name;
  message_schema request;
  message_schema response;
};

}  // namespace tern::protocol
