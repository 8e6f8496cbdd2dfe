// Big-endian integers and protobuf-style varints over byte buffers, as Kafka encodes them.
// The reader never reads past its end: a short or malformed input throws malformed_input,
// which the decoder's callers turn into an error at the edge (network or disk).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tern::protocol {

class malformed_input : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class byte_reader {
 public:
  explicit byte_reader(std::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  std::string_view take(size_t n) {
    need(n);
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  void skip(size_t n) { take(n); }

  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  int8_t i8() { return static_cast<int8_t>(u8()); }
  uint16_t u16() { return static_cast<uint16_t>(be(2)); }
  int16_t i16() { return static_cast<int16_t>(be(2)); }
  uint32_t u32() { return static_cast<uint32_t>(be(4)); }
  int32_t i32() { return static_cast<int32_t>(be(4)); }
  int64_t i64() { return static_cast<int64_t>(be(8)); }
  double f64() {
    uint64_t bits = be(8);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }

  uint64_t uvarint() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      result |= uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    throw malformed_input("varint longer than 10 bytes");
  }
  uint32_t uvarint32() {
    uint64_t v = uvarint();
    if (v > 0xffffffffu) throw malformed_input("varint out of 32-bit range");
    return static_cast<uint32_t>(v);
  }
  int64_t varlong() {
    uint64_t v = uvarint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  int32_t varint() {
    int64_t v = varlong();
    if (v < INT32_MIN || v > INT32_MAX) throw malformed_input("varint out of 32-bit range");
    return static_cast<int32_t>(v);
  }

 private:
  void need(size_t n) const {
    if (n > remaining()) throw malformed_input("input ends early");
  }
  uint64_t be(size_t n) {
    std::string_view b = take(n);
    uint64_t v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return v;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

// Appends to a std::string. Writers of fixed-size fields that are only known later
// (lengths, CRCs) reserve the bytes and patch them with put_*_at.
class byte_writer {
 public:
  explicit byte_writer(std::string& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  std::string& buffer() { return out_; }

  void bytes(std::string_view b) { out_.append(b); }
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void i8(int8_t v) { u8(static_cast<uint8_t>(v)); }
  void i16(int16_t v) { be(static_cast<uint16_t>(v), 2); }
  void u16(uint16_t v) { be(v, 2); }
  void i32(int32_t v) { be(static_cast<uint32_t>(v), 4); }
  void u32(uint32_t v) { be(v, 4); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v), 8); }
  void f64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof d);
    be(bits, 8);
  }
  void uvarint(uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<uint8_t>(v));
  }
  void varlong(int64_t v) {
    uvarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void varint(int32_t v) { varlong(v); }

  static void put_i32_at(std::string& buf, size_t pos, int32_t v) {
    put_be_at(buf, pos, static_cast<uint32_t>(v), 4);
  }
  static void put_u32_at(std::string& buf, size_t pos, uint32_t v) { put_be_at(buf, pos, v, 4); }
  static void put_i64_at(std::string& buf, size_t pos, int64_t v) {
    put_be_at(buf, pos, static_cast<uint64_t>(v), 8);
  }

 private:
  void be(uint64_t v, size_t n) {
    for (size_t i = n; i-- > 0;) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  static void put_be_at(std::string& buf, size_t pos, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i)
      buf[pos + i] = static_cast<char>((v >> (8 * (n - 1 - i))) & 0xff);
  }

  std::string& out_;
};

// Reads big-endian integers straight from memory (used on the hot path for batch headers).
inline uint32_t load_be32(const char* p) {
  return (uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) |
         (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3]));
}
inline uint64_t load_be64(const char* p) {
  return (uint64_t(load_be32(p)) << 32) | load_be32(p + 4);
}
inline uint16_t load_be16(const char* p) {
  return static_cast<uint16_t>((uint16_t(uint8_t(p[0])) << 8) | uint8_t(p[1]));
}

inline void store_be32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}
inline void store_be64(char* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace tern::protocol
