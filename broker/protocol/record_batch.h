// Kafka's RecordBatch v2, the unit tern stores and serves without re-encoding.
//
//   offset  size  field
//   0       8     base_offset              (rewritten by the broker on append)
//   8       4     batch_length             (bytes after this field: the batch is this + 12)
//   12      4     partition_leader_epoch   (rewritten by the broker on append)
//   16      1     magic = 2
//   17      4     crc                      (CRC-32C of everything from attributes to the end)
//   21      2     attributes               (bits 0-2 compression, 3 timestamp type,
//                                           4 transactional, 5 control)
//   23      4     last_offset_delta
//   27      8     base_timestamp
//   35      8     max_timestamp
//   43      8     producer_id
//   51      2     producer_epoch
//   53      4     base_sequence
//   57      4     records_count
//   61            records (one compressed block when compression is set)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tern::protocol {

inline constexpr size_t kBatchHeaderSize = 61;
inline constexpr size_t kBatchLogOverhead = 12;  // base_offset + batch_length
inline constexpr size_t kBatchLengthOffset = 8;
inline constexpr size_t kBatchLeaderEpochOffset = 12;
inline constexpr size_t kBatchMagicOffset = 16;
inline constexpr size_t kBatchCrcOffset = 17;
inline constexpr size_t kBatchAttributesOffset = 21;
inline constexpr size_t kBatchMaxTimestampOffset = 35;

enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

struct batch_header {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  size_t total_size() const { return static_cast<size_t>(batch_length) + kBatchLogOverhead; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  compression codec() const { return static_cast<compression>(attributes & 0x07); }
  bool log_append_time() const { return (attributes & 0x08) != 0; }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  int32_t last_sequence() const;  // base_sequence + last_offset_delta, wrapping as Kafka does
};

// Reads the fixed header; nullopt when fewer than kBatchHeaderSize bytes are given.
// No field is checked here.
std::optional<batch_header> read_batch_header(std::string_view bytes);

// Why a batch is not acceptable; empty when it is.
struct batch_problem {
  enum class kind {
    none,
    truncated,
    bad_magic,
    bad_length,
    bad_crc,
    bad_records
  } what = kind::none;
  std::string detail;

  explicit operator bool() const { return what != kind::none; }
};

// Checks one whole batch (exactly header.total_size() bytes): magic 2, a sane length, the
// CRC-32C, a record count matching last_offset_delta, and, for uncompressed batches, that the
// records parse and fill the batch exactly.
batch_problem check_batch(std::string_view batch);

// Only the CRC: cheap enough for recovery scans of whole segments.
bool batch_crc_matches(std::string_view batch);

// One record of an uncompressed batch, pointing into the batch bytes.
struct record_view {
  std::string_view raw;  // the whole record, length prefix included
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int32_t header_count = 0;
};

// Calls `visit` for every record of an uncompressed batch body (the bytes after the header).
// Returns false, with a reason, when the records do not parse or do not fill the body exactly.
bool for_each_record(std::string_view body, int32_t expected_count,
                     const std::function<void(const record_view&)>& visit, std::string* reason);

// In-place rewrites done on append; neither is covered by the CRC.
void set_base_offset(char* batch, int64_t base_offset);
void set_partition_leader_epoch(char* batch, int32_t epoch);

// Rewrites max_timestamp for LogAppendTime (inside the CRC, so the CRC is recomputed).
void set_log_append_time(char* batch, size_t size, int64_t timestamp_ms);

}  // namespace tern::protocol
