// CRC-32C: hardware path (SSE4.2 crc32 instruction, three interleaved streams) and a portable
// table.
#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace tern {

namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr auto kTable = make_table();

uint32_t extend_portable(uint32_t crc, const uint8_t* p, size_t n) {
  crc = ~crc;
  while (n-- > 0) crc = kTable[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
// The crc32 instruction takes three cycles but can start one per cycle, so three independent
// streams over adjacent stripes run about three times as fast as one; their states are then
// joined with a linear map (the state after kStripe zero bytes), as tables per state byte.
constexpr size_t kStripe = 4096;

__attribute__((target("sse4.2"))) uint32_t after_zero_stripe(uint32_t state) {
  uint64_t c = state;
  for (size_t i = 0; i < kStripe; i += 8) c = _mm_crc32_u64(c, 0);
  return static_cast<uint32_t>(c);
}

struct stripe_shift {
  std::array<std::array<uint32_t, 256>, 4> table{};

  stripe_shift() {
    std::array<uint32_t, 32> basis{};
    for (int bit = 0; bit < 32; ++bit) basis[bit] = after_zero_stripe(uint32_t{1} << bit);
    for (int k = 0; k < 4; ++k)
      for (uint32_t v = 0; v < 256; ++v)
        for (int b = 0; b < 8; ++b)
          if (v & (1u << b)) table[k][v] ^= basis[8 * k + b];
  }

  uint32_t operator()(uint32_t s) const {
    return table[0][s & 0xff] ^ table[1][(s >> 8) & 0xff] ^ table[2][(s >> 16) & 0xff] ^
           table[3][s >> 24];
  }
};

inline uint64_t load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t crc, const uint8_t* p, size_t n) {
  static const stripe_shift shift;
  uint64_t c = ~crc;
  while (n >= 3 * kStripe) {
    uint64_t b = 0;
    uint64_t d = 0;
    for (size_t i = 0; i < kStripe; i += 8) {
      c = _mm_crc32_u64(c, load64(p + i));
      b = _mm_crc32_u64(b, load64(p + kStripe + i));
      d = _mm_crc32_u64(d, load64(p + 2 * kStripe + i));
    }
    c = shift(shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(b)) ^
        static_cast<uint32_t>(d);
    p += 3 * kStripe;
    n -= 3 * kStripe;
  }
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool cpu_has_sse42() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
#if defined(__x86_64__)
  static const bool hardware = cpu_has_sse42();
  if (hardware) return extend_sse42(crc, p, size);
#endif
  return extend_portable(crc, p, size);
}

}  // namespace tern
