// The compression codecs of RecordBatch v2 bodies, byte for byte as Kafka's Java client and
// librdkafka write them, for the broker paths that must open a batch (compaction, ListOffsets).
//
// gzip    compress: one gzip member (RFC 1952) at zlib's default level, like GZIPOutputStream.
//         decompress: concatenated members; bytes after a member that do not start another one
//         are ignored, as Java's GZIPInputStream ignores them.
// snappy  compress: snappy-java's framing, which Java clients write and every client reads:
//           offset  size  field
//           0       8     magic "\x82SNAPPY\0"
//           8       4     version = 1                (int32 big endian)
//           12      4     minimum compatible = 1     (int32 big endian)
//           16            chunks: int32 BE length, then a raw snappy block of at most 32 KiB
//                         of input
//         decompress: also raw snappy when the magic is absent (librdkafka produces that), and a
//         repeated header between chunks (concatenated streams, which snappy-java reads).
// lz4     compress: one LZ4 frame with independent 64 KiB blocks, no checksums and no content
//         size, as Kafka's Lz4BlockOutputStream writes it (Java readers refuse linked blocks).
//         decompress: any LZ4 frame, and concatenated frames. The pre-0.10 Kafka header checksum
//         (computed over the magic too) is refused: liblz4 always checks the header checksum,
//         and that variant only ever appeared in magic v0 message sets, never in v2 batches.
// zstd    compress: one frame at level 3 (Kafka's default) that records its content size.
//         decompress: streaming, so frames without a content size (zstd-jni streams them) work;
//         concatenated and skippable frames too. Windows up to 128 MiB, zstd's own default.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "broker/protocol/record_batch.h"

namespace tern::protocol {

inline constexpr size_t kDefaultMaxDecompressed = size_t{64} << 20;

// Decodes `data`, which is untrusted, written with `codec`. The result and the buffer holding it
// stay within `max_output` bytes; larger output, damage and truncation come back as an error that
// names the codec and, where known, the offset in `data`.
std::expected<std::string, std::string> decompress(compression codec, std::string_view data,
                                                   size_t max_output = kDefaultMaxDecompressed);

// Encodes `data` in the format above; `compression::none` returns it unchanged.
std::expected<std::string, std::string> compress(compression codec, std::string_view data);

}  // namespace tern::protocol
