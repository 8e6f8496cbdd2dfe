// CRC-32C against the standard check value and a bit-by-bit reference, at the lengths where
// the interleaved hardware path switches between its stripes and its serial tail.
#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tern {
namespace {

uint32_t reference_crc32c(uint32_t crc, std::string_view data) {
  crc = ~crc;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
  }
  return ~crc;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, MatchesTheReferenceAroundStripeBoundaries) {
  const std::string data = random_bytes(4 * 3 * 4096 + 64, 7);
  for (size_t n : {0, 1, 7, 8, 9, 4095, 12287, 12288, 12289, 12295, 24576, 24583, 40000}) {
    for (size_t offset : {0, 1, 3}) {
      std::string_view part(data.data() + offset, n);
      EXPECT_EQ(crc32c(part), reference_crc32c(0, part)) << n << " bytes at offset " << offset;
    }
  }
}

TEST(Crc32c, ExtendingInPiecesEqualsOnePass) {
  const std::string data = random_bytes(100000, 11);
  const uint32_t whole = crc32c(data);
  for (size_t cut : {1, 4096, 12288, 50001, 99999}) {
    const uint32_t first = crc32c_extend(0, data.data(), cut);
    EXPECT_EQ(crc32c_extend(first, data.data() + cut, data.size() - cut), whole) << cut;
  }
  EXPECT_EQ(whole, reference_crc32c(0, data));
}

}  // namespace
}  // namespace tern
