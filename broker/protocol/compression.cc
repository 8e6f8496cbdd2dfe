// The codecs of compression.h over Debian's zlib, libsnappy, liblz4 and libzstd. Decoders write
// through one size-capped buffer so hostile input cannot grow memory past max_output.
#include "broker/protocol/compression.h"

#define ZLIB_CONST
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

namespace tern::protocol {
namespace {

using result = std::expected<std::string, std::string>;

// Streaming decoders write here first; 64 KiB is also the block size Kafka's LZ4 writer uses, so
// LZ4 blocks decode straight into it.
constexpr size_t kChunk = 64 * 1024;

constexpr char kSnappyJavaMagic[] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kSnappyJavaHeaderSize = 16;
constexpr size_t kSnappyJavaBlockSize = 32 * 1024;  // snappy-java's default

// Kafka's default compression.zstd.level.
constexpr int kZstdLevel = 3;

std::unexpected<std::string> fail(std::string_view codec, std::string_view what) {
  std::string message(codec);
  message += ": ";
  message += what;
  return std::unexpected(std::move(message));
}

std::unexpected<std::string> fail_at(std::string_view codec, std::string_view what, size_t offset) {
  std::string message(what);
  message += " at offset ";
  message += std::to_string(offset);
  return fail(codec, message);
}

std::unexpected<std::string> too_large(std::string_view codec, size_t max_output) {
  return fail(codec,
              "decompressed size exceeds max_output (" + std::to_string(max_output) + " bytes)");
}

std::unexpected<std::string> unknown_codec(compression codec) {
  return fail("compression", "unknown codec " + std::to_string(static_cast<int>(codec)));
}

std::string_view codec_name(compression codec) {
  switch (codec) {
    case compression::none:
      return "none";
    case compression::gzip:
      return "gzip";
    case compression::snappy:
      return "snappy";
    case compression::lz4:
      return "lz4";
    case compression::zstd:
      return "zstd";
  }
  return "unknown codec";
}

uint32_t read_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

void write_be32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

// Collects decoder output. std::string's own growth may double past the cap, so growth is done
// here by hand: doubling, clipped to max_output.
class bounded_output {
 public:
  explicit bounded_output(size_t max_output) : max_(max_output) {}

  bool append(const char* p, size_t n) {
    if (n > max_ - out_.size()) return false;
    const size_t needed = out_.size() + n;
    if (needed > out_.capacity()) {
      std::string bigger;
      bigger.reserve(std::min(max_, std::max(needed, out_.capacity() * 2)));
      bigger.append(out_);
      out_.swap(bigger);
    }
    out_.append(p, n);
    return true;
  }

  std::string take() { return std::move(out_); }

 private:
  size_t max_;
  std::string out_;
};

// ---- gzip

result gzip_decompress(std::string_view data, size_t max_output) {
  if (data.size() > UINT_MAX) return fail("gzip", "input larger than 4 GiB");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return fail("gzip", "inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> end(&zs, &inflateEnd);
  zs.next_in = reinterpret_cast<const Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());

  auto chunk = std::make_unique_for_overwrite<char[]>(kChunk);
  bounded_output out(max_output);
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.get());
    zs.avail_out = kChunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t offset = data.size() - zs.avail_in;
    if (!out.append(chunk.get(), kChunk - zs.avail_out)) return too_large("gzip", max_output);
    if (rc == Z_OK) continue;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      return out.take();
    }
    // With output space always offered, Z_BUF_ERROR can only mean the input ran out.
    if (rc == Z_BUF_ERROR) return fail_at("gzip", "truncated: input ends inside a member", offset);
    return fail_at("gzip", zs.msg != nullptr ? zs.msg : "inflate failed", offset);
  }
}

result gzip_compress(std::string_view data) {
  if (data.size() > UINT_MAX) return fail("gzip", "input larger than 4 GiB");
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return fail("gzip", "deflateInit2 failed");
  }
  std::unique_ptr<z_stream, decltype(&deflateEnd)> end(&zs, &deflateEnd);
  const uLong bound = deflateBound(&zs, static_cast<uLong>(data.size()));
  if (bound > UINT_MAX) return fail("gzip", "input larger than 4 GiB");

  int rc = Z_OK;
  std::string out;
  out.resize_and_overwrite(bound, [&](char* p, size_t) -> size_t {
    zs.next_in = reinterpret_cast<const Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(p);
    zs.avail_out = static_cast<uInt>(bound);
    rc = deflate(&zs, Z_FINISH);
    return rc == Z_STREAM_END ? zs.total_out : 0;
  });
  if (rc != Z_STREAM_END) return fail("gzip", zs.msg != nullptr ? zs.msg : "deflate failed");
  return out;
}

// ---- snappy

bool starts_with_snappy_java_magic(std::string_view s) {
  return s.starts_with(std::string_view(kSnappyJavaMagic, sizeof(kSnappyJavaMagic)));
}

result snappy_raw_decompress(std::string_view data, size_t max_output) {
  size_t size = 0;
  if (!snappy::GetUncompressedLength(data.data(), data.size(), &size)) {
    return fail_at("snappy", "bad length prefix of raw block", 0);
  }
  if (size > max_output) return too_large("snappy", max_output);
  bool ok = false;
  std::string out;
  // resize_and_overwrite leaves pages untouched until snappy writes them, so a lying length
  // prefix costs address space, not memory.
  out.resize_and_overwrite(size, [&](char* p, size_t n) -> size_t {
    ok = snappy::RawUncompress(data.data(), data.size(), p);
    return ok ? n : 0;
  });
  if (!ok) return fail_at("snappy", "corrupt raw block", 0);
  return out;
}

// Calls on_chunk(offset, block) for every block of a snappy-java stream; returns an error
// message, or an empty string when the framing is intact.
template <typename F>
std::string walk_snappy_java(std::string_view data, F&& on_chunk) {
  size_t pos = 0;
  while (pos < data.size()) {
    const std::string_view rest = data.substr(pos);
    if (starts_with_snappy_java_magic(rest)) {
      if (rest.size() < kSnappyJavaHeaderSize) {
        return "truncated snappy-java header at offset " + std::to_string(pos);
      }
      pos += kSnappyJavaHeaderSize;
      continue;
    }
    if (rest.size() < 4) return "truncated chunk length at offset " + std::to_string(pos);
    const uint32_t length = read_be32(rest.data());
    if (length == 0 || length > rest.size() - 4) {
      return "chunk length " + std::to_string(length) + " at offset " + std::to_string(pos) +
             " exceeds the " + std::to_string(rest.size() - 4) + " bytes left";
    }
    std::string error = on_chunk(pos + 4, rest.substr(4, length));
    if (!error.empty()) return error;
    pos += 4 + length;
  }
  return {};
}

result snappy_java_decompress(std::string_view data, size_t max_output) {
  // Blocks state their sizes up front, so one pass over the framing sizes the output exactly.
  size_t total = 0;
  bool oversize = false;
  std::string error = walk_snappy_java(data, [&](size_t offset, std::string_view block) {
    size_t size = 0;
    if (!snappy::GetUncompressedLength(block.data(), block.size(), &size)) {
      return "bad length prefix of block at offset " + std::to_string(offset);
    }
    if (size > max_output - total) {
      oversize = true;
      return std::string("oversize");
    }
    total += size;
    return std::string();
  });
  if (oversize) return too_large("snappy", max_output);
  if (!error.empty()) return fail("snappy", error);

  std::string out;
  out.resize_and_overwrite(total, [&](char* p, size_t n) -> size_t {
    size_t written = 0;
    error = walk_snappy_java(data, [&](size_t offset, std::string_view block) {
      size_t size = 0;
      snappy::GetUncompressedLength(block.data(), block.size(), &size);
      if (!snappy::RawUncompress(block.data(), block.size(), p + written)) {
        return "corrupt block at offset " + std::to_string(offset);
      }
      written += size;
      return std::string();
    });
    return error.empty() ? n : 0;
  });
  if (!error.empty()) return fail("snappy", error);
  return out;
}

result snappy_decompress(std::string_view data, size_t max_output) {
  // Like snappy-java's reader: no magic means the producer (librdkafka) wrote one raw block.
  if (!starts_with_snappy_java_magic(data)) return snappy_raw_decompress(data, max_output);
  return snappy_java_decompress(data, max_output);
}

result snappy_compress(std::string_view data) {
  const size_t blocks = (data.size() + kSnappyJavaBlockSize - 1) / kSnappyJavaBlockSize;
  const size_t bound =
      kSnappyJavaHeaderSize + blocks * (4 + snappy::MaxCompressedLength(kSnappyJavaBlockSize));
  std::string out;
  out.resize_and_overwrite(bound, [&](char* p, size_t) -> size_t {
    std::memcpy(p, kSnappyJavaMagic, sizeof(kSnappyJavaMagic));
    write_be32(p + 8, 1);   // version
    write_be32(p + 12, 1);  // minimum compatible version
    size_t written = kSnappyJavaHeaderSize;
    for (size_t pos = 0; pos < data.size(); pos += kSnappyJavaBlockSize) {
      const size_t length = std::min(kSnappyJavaBlockSize, data.size() - pos);
      size_t compressed = 0;
      snappy::RawCompress(data.data() + pos, length, p + written + 4, &compressed);
      write_be32(p + written, static_cast<uint32_t>(compressed));
      written += 4 + compressed;
    }
    return written;
  });
  return out;
}

// ---- lz4

result lz4_decompress(std::string_view data, size_t max_output) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return fail("lz4", "cannot create a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> dctx(
      raw, &LZ4F_freeDecompressionContext);

  auto chunk = std::make_unique_for_overwrite<char[]>(kChunk);
  bounded_output out(max_output);
  size_t pos = 0;
  for (;;) {
    size_t produced = kChunk;
    size_t consumed = data.size() - pos;
    // Returns 0 once a frame is decoded and flushed; the context then expects a new frame.
    const size_t hint =
        LZ4F_decompress(dctx.get(), chunk.get(), &produced, data.data() + pos, &consumed, nullptr);
    if (LZ4F_isError(hint)) return fail_at("lz4", LZ4F_getErrorName(hint), pos);
    pos += consumed;
    if (!out.append(chunk.get(), produced)) return too_large("lz4", max_output);
    if (hint == 0 && pos == data.size()) return out.take();
    if (consumed == 0 && produced == 0) {
      return fail_at("lz4", "truncated: input ends inside a frame", pos);
    }
  }
}

result lz4_compress(std::string_view data) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = 0;  // lz4's fast mode, which Kafka uses at its default level
  const size_t bound = LZ4F_compressFrameBound(data.size(), &prefs);
  if (LZ4F_isError(bound)) return fail("lz4", LZ4F_getErrorName(bound));
  size_t written = 0;
  std::string out;
  out.resize_and_overwrite(bound, [&](char* p, size_t) -> size_t {
    written = LZ4F_compressFrame(p, bound, data.data(), data.size(), &prefs);
    return LZ4F_isError(written) ? 0 : written;
  });
  if (LZ4F_isError(written)) return fail("lz4", LZ4F_getErrorName(written));
  return out;
}

// ---- zstd

result zstd_decompress(std::string_view data, size_t max_output) {
  // A first frame that states its size lets an oversize body be refused before any work.
  const unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR &&
      declared > max_output) {
    return too_large("zstd", max_output);
  }
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!dctx) return fail("zstd", "cannot create a decompression context");

  auto chunk = std::make_unique_for_overwrite<char[]>(kChunk);
  bounded_output out(max_output);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t hint = 0;
  for (;;) {
    ZSTD_outBuffer o{chunk.get(), kChunk, 0};
    hint = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(hint)) return fail_at("zstd", ZSTD_getErrorName(hint), in.pos);
    if (!out.append(chunk.get(), o.pos)) return too_large("zstd", max_output);
    // 0 means the frame is decoded and flushed; otherwise a full buffer may hide more output.
    if (in.pos == in.size && (hint == 0 || o.pos < o.size)) break;
  }
  if (hint != 0) return fail_at("zstd", "truncated: input ends inside a frame", in.pos);
  return out.take();
}

result zstd_compress(std::string_view data) {
  const size_t bound = ZSTD_compressBound(data.size());
  if (ZSTD_isError(bound)) return fail("zstd", ZSTD_getErrorName(bound));
  size_t written = 0;
  std::string out;
  out.resize_and_overwrite(bound, [&](char* p, size_t) -> size_t {
    written = ZSTD_compress(p, bound, data.data(), data.size(), kZstdLevel);
    return ZSTD_isError(written) ? 0 : written;
  });
  if (ZSTD_isError(written)) return fail("zstd", ZSTD_getErrorName(written));
  return out;
}

}  // namespace

std::expected<std::string, std::string> decompress(compression codec, std::string_view data,
                                                   size_t max_output) {
  if (codec > compression::zstd) return unknown_codec(codec);
  if (codec != compression::none && data.empty()) return fail(codec_name(codec), "empty input");
  switch (codec) {
    case compression::none:
      if (data.size() > max_output) return too_large("none", max_output);
      return std::string(data);
    case compression::gzip:
      return gzip_decompress(data, max_output);
    case compression::snappy:
      return snappy_decompress(data, max_output);
    case compression::lz4:
      return lz4_decompress(data, max_output);
    case compression::zstd:
      return zstd_decompress(data, max_output);
  }
  return unknown_codec(codec);
}

std::expected<std::string, std::string> compress(compression codec, std::string_view data) {
  switch (codec) {
    case compression::none:
      return std::string(data);
    case compression::gzip:
      return gzip_compress(data);
    case compression::snappy:
      return snappy_compress(data);
    case compression::lz4:
      return lz4_compress(data);
    case compression::zstd:
      return zstd_compress(data);
  }
  return unknown_codec(codec);
}

}  // namespace tern::protocol
