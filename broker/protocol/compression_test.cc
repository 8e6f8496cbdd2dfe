// Compression codecs: round trips, the framing Kafka clients expect, bodies written by a real
// client library (kafka-python), and the refusals owed to damaged or oversized input.
#include "broker/protocol/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tern::protocol {
namespace {

constexpr compression kCodecs[] = {compression::none, compression::gzip, compression::snappy,
                                   compression::lz4, compression::zstd};
constexpr compression kRealCodecs[] = {compression::gzip, compression::snappy, compression::lz4,
                                       compression::zstd};

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string random_bytes(size_t n, uint32_t seed = 42) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string repetitive_bytes(size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; out.size() < n; ++i) out += "record-" + std::to_string(i % 100) + ";";
  out.resize(n);
  return out;
}

std::string name(compression c) {
  return "codec " + std::to_string(static_cast<int>(c));
}

TEST(Compression, RoundTripsEveryCodec) {
  const std::vector<std::string> inputs = {"", "x", repeat("hello", 10), random_bytes(1 << 20),
                                           repetitive_bytes(1 << 20)};
  for (compression codec : kCodecs) {
    for (const std::string& input : inputs) {
      SCOPED_TRACE(name(codec) + ", input of " + std::to_string(input.size()) + " bytes");
      auto packed = compress(codec, input);
      ASSERT_TRUE(packed) << packed.error();
      if (codec != compression::none && input.size() == (1 << 20) && input[0] == 'r') {
        EXPECT_LT(packed->size(), input.size() / 4);
      }
      auto unpacked = decompress(codec, *packed);
      ASSERT_TRUE(unpacked) << unpacked.error();
      EXPECT_EQ(*unpacked, input);
    }
  }
}

TEST(Compression, WritesTheFramingKafkaClientsRead) {
  const std::string input = repetitive_bytes(100'000);

  auto gz = compress(compression::gzip, input);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->substr(0, 3), unhex("1f8b08"));

  // snappy-java: magic, version 1, minimum compatible 1, then 32 KiB blocks: 4 for 100 000 bytes.
  auto sn = compress(compression::snappy, input);
  ASSERT_TRUE(sn);
  EXPECT_EQ(sn->substr(0, 16), unhex("82534e41505059000000000100000001"));
  int blocks = 0;
  for (size_t pos = 16; pos < sn->size(); ++blocks) {
    const auto* u = reinterpret_cast<const unsigned char*>(sn->data() + pos);
    pos += 4 + ((u[0] << 24) | (u[1] << 16) | (u[2] << 8) | u[3]);
    ASSERT_LE(pos, sn->size());
  }
  EXPECT_EQ(blocks, 4);

  // LZ4: FLG 0x60 = version 1, independent blocks, no checksums, no content size; BD 0x40 = 64 KiB.
  auto lz = compress(compression::lz4, input);
  ASSERT_TRUE(lz);
  EXPECT_EQ(lz->substr(0, 6), unhex("04224d186040"));

  auto zs = compress(compression::zstd, input);
  ASSERT_TRUE(zs);
  EXPECT_EQ(zs->substr(0, 4), unhex("28b52ffd"));
}

// Bodies written once by kafka-python 2.0.2's kafka.codec (python-snappy, python-lz4,
// zstandard, gzip), the same formats the Java client and librdkafka produce.
struct fixture {
  const char* what;
  compression codec;
  const char* hex;
  std::string expected;
};

const std::string kHello = repeat("hello", 10);
const std::string kFixturePayload =
    "tern compression fixture " + std::string(
                                      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
                                      "\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
                                      "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
                                      32);

constexpr const char* kZstdWithoutContentSize =
    "28b52ffd0000c901007465726e20636f6d7072657373696f6e206669787475726520000102030405060708090a"
    "0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

const fixture kFixtures[] = {
    {"snappy_encode(xerial_compatible=True)", compression::snappy,
     "82534e415050590000000001000000010000000a321068656c6c6fb20500", kHello},
    {"snappy_encode(xerial_compatible=True, xerial_blocksize=64), 4 blocks", compression::snappy,
     "82534e415050590000000001000000010000004340f03f7465726e20636f6d7072657373696f6e2066697874"
     "75726520000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f7465726e20636f00"
     "00004340f03f6d7072657373696f6e206669787475726520000102030405060708090a0b0c0d0e0f10111213"
     "1415161718191a1b1c1d1e1f7465726e20636f6d7072657373690000004340f03f6f6e206669787475726520"
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f7465726e20636f6d70726573"
     "73696f6e206669787400000026248c75726520000102030405060708090a0b0c0d0e0f101112131415161718"
     "191a1b1c1d1e1f",
     repeat(kFixturePayload, 4)},
    {"snappy_encode(xerial_compatible=False), raw snappy as librdkafka writes", compression::snappy,
     "321068656c6c6fb20500", kHello},
    {"lz4_encode (python-lz4 frame, content size stored)", compression::lz4,
     "04224d1868403200000000000000840f0000005f68656c6c6f0500155068656c6c6f00000000", kHello},
    {"lz4.frame.compress(block_linked, content and block checksums)", compression::lz4,
     "04224d187440bd44000000ff2a7465726e20636f6d7072657373696f6e206669787475726520000102030405"
     "060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f39005a501b1c1d1e1f010fe347000000004c"
     "e73dfb",
     repeat(kFixturePayload, 3)},
    {"gzip_encode", compression::gzip, "1f8b080013d9066b02ffcb48cdc9c9cf208500001a1cb48d32000000",
     kHello},
    {"gzip_encode twice, concatenated members", compression::gzip,
     "1f8b080013d9066b02ffcb48cdc9c9cfc0420000c94164d5190000001f8b080013d9066b02ffcb48cdc9c9cfc0"
     "420000c94164d519000000",
     kHello},
    {"zstd_encode", compression::zstd, "28b52ffd20325d00002868656c6c6f0100c22c5a", kHello},
    {"zstandard write_content_size=False, as zstd-jni streams", compression::zstd,
     kZstdWithoutContentSize, kFixturePayload},
};

TEST(Compression, DecodesBodiesWrittenByAClientLibrary) {
  for (const fixture& f : kFixtures) {
    SCOPED_TRACE(f.what);
    auto out = decompress(f.codec, unhex(f.hex));
    ASSERT_TRUE(out) << out.error();
    EXPECT_EQ(*out, f.expected);
  }
}

TEST(Compression, RefusesTheLegacyLz4HeaderChecksum) {
  // kafka.codec.lz4_encode_old_kafka: the pre-0.10 checksum that also covers the magic. Only
  // magic v0 message sets carry it, and liblz4 offers no way to skip the header check.
  auto out = decompress(compression::lz4,
                        unhex("04224d1860401a0f0000005f68656c6c6f0500155068656c6c6f00000000"));
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().find("lz4"), std::string::npos) << out.error();
}

TEST(Compression, DecodesConcatenatedStreams) {
  const std::string a = repetitive_bytes(70'000), b = random_bytes(50'000);
  for (compression codec : kRealCodecs) {
    SCOPED_TRACE(name(codec));
    auto pa = compress(codec, a), pb = compress(codec, b);
    ASSERT_TRUE(pa && pb);
    auto out = decompress(codec, *pa + *pb);
    ASSERT_TRUE(out) << out.error();
    EXPECT_EQ(*out, a + b);
  }
}

TEST(Compression, GzipIgnoresBytesAfterTheLastMemberLikeJava) {
  auto packed = compress(compression::gzip, kHello);
  ASSERT_TRUE(packed);
  auto out = decompress(compression::gzip, *packed + std::string(5, '\0'));
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(*out, kHello);
}

TEST(Compression, RefusesGarbage) {
  const std::vector<std::string> garbage = {"not compressed at all, just text",
                                            random_bytes(4096, 7), std::string(64, '\xff')};
  for (compression codec : kRealCodecs) {
    for (const std::string& g : garbage) {
      SCOPED_TRACE(name(codec) + ", garbage of " + std::to_string(g.size()) + " bytes");
      auto out = decompress(codec, g);
      EXPECT_FALSE(out);
    }
    auto empty = decompress(codec, "");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().find("empty input"), std::string::npos);
  }
}

TEST(Compression, RefusesTruncatedInput) {
  const std::string inputs[] = {repetitive_bytes(1 << 20), random_bytes(1 << 20)};
  for (compression codec : kRealCodecs) {
    for (const std::string& input : inputs) {
      auto packed = compress(codec, input);
      ASSERT_TRUE(packed);
      for (size_t keep : {size_t{1}, size_t{10}, packed->size() / 3, packed->size() / 2 + 1,
                          packed->size() - 1}) {
        SCOPED_TRACE(name(codec) + ", " + std::to_string(keep) + " of " +
                     std::to_string(packed->size()) + " bytes");
        auto out = decompress(codec, std::string_view(*packed).substr(0, keep));
        ASSERT_FALSE(out);
        EXPECT_FALSE(out.error().empty());
      }
    }
  }
}

TEST(Compression, SnappyJavaFramingCannotSeeATruncationBetweenBlocks) {
  // The framing has no end marker (snappy-java's reader has the same blind spot): cut after the
  // first block, it reads as a shorter body. The batch CRC is what catches this.
  const std::string input = repetitive_bytes(100'000);
  auto packed = compress(compression::snappy, input);
  ASSERT_TRUE(packed);
  const auto* u = reinterpret_cast<const unsigned char*>(packed->data() + 16);
  const size_t first_block_end = 20 + ((u[0] << 24) | (u[1] << 16) | (u[2] << 8) | u[3]);
  auto out = decompress(compression::snappy, std::string_view(*packed).substr(0, first_block_end));
  ASSERT_TRUE(out) << out.error();
  EXPECT_EQ(*out, input.substr(0, 32 * 1024));
}

TEST(Compression, GzipCatchesACorruptedByte) {
  auto packed = compress(compression::gzip, repetitive_bytes(100'000));
  ASSERT_TRUE(packed);
  (*packed)[packed->size() / 2] ^= 0x40;
  auto out = decompress(compression::gzip, *packed);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().find("at offset"), std::string::npos) << out.error();
}

TEST(Compression, StopsAtMaxOutput) {
  const std::string input = repetitive_bytes(1 << 20);
  for (compression codec : kCodecs) {
    SCOPED_TRACE(name(codec));
    auto packed = compress(codec, input);
    ASSERT_TRUE(packed);
    auto exact = decompress(codec, *packed, input.size());
    ASSERT_TRUE(exact) << exact.error();
    EXPECT_EQ(*exact, input);
    EXPECT_LE(exact->capacity(), input.size());
    auto over = decompress(codec, *packed, input.size() - 1);
    ASSERT_FALSE(over);
    EXPECT_NE(over.error().find("max_output"), std::string::npos) << over.error();
  }
}

TEST(Compression, RefusesADecompressionBomb) {
  // 32 MiB of zeros packs into a few KiB to 1.5 MiB depending on the codec.
  const std::string zeros(32 << 20, '\0');
  for (compression codec : kRealCodecs) {
    SCOPED_TRACE(name(codec));
    auto packed = compress(codec, zeros);
    ASSERT_TRUE(packed);
    auto out = decompress(codec, *packed, 1 << 20);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().find("max_output"), std::string::npos) << out.error();
  }
}

TEST(Compression, StreamedZstdFrameStillHonoursMaxOutput) {
  // No content size in the frame, so only the streaming cap can refuse it.
  auto out = decompress(compression::zstd, unhex(kZstdWithoutContentSize), 10);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().find("max_output"), std::string::npos) << out.error();
}

TEST(Compression, SurvivesRandomDamage) {
  // A pocket fuzzer: flipped bytes, truncations and splices of valid bodies must come back as a
  // result or an error, never a crash, and never more than the cap.
  std::mt19937 rng(1234);
  const std::string input = repetitive_bytes(20'000) + random_bytes(5'000, 9);
  constexpr size_t kCap = 24'000;
  for (compression codec : kRealCodecs) {
    auto packed = compress(codec, input);
    ASSERT_TRUE(packed);
    for (int i = 0; i < 500; ++i) {
      std::string damaged = *packed;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
        damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      if (rng() % 3 == 0) damaged.resize(rng() % damaged.size());
      if (rng() % 5 == 0) damaged += damaged.substr(0, rng() % (damaged.size() + 1));
      auto out = decompress(codec, damaged, kCap);
      if (out) EXPECT_LE(out->size(), kCap);
    }
  }
}

TEST(Compression, RefusesAnUnknownCodec) {
  const auto bogus = static_cast<compression>(5);
  auto d = decompress(bogus, "abc");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("unknown codec 5"), std::string::npos);
  EXPECT_FALSE(compress(bogus, "abc"));
}

}  // namespace
}  // namespace tern::protocol
