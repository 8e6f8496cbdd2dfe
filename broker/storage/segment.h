// One segment of a partition log: <base_offset:020>.log holding RecordBatch v2 batches back
// to back, exactly as appended, with its offset and time indexes beside it.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "broker/protocol/record_batch.h"
#include "broker/storage/direct_appender.h"
#include "broker/storage/segment_index.h"
#include "common/shared_fd.h"

namespace tern::storage {

// What opening a segment found and repaired, for the startup log.
struct recovery_report {
  uint64_t truncated_bytes = 0;  // torn or corrupt tail removed
  std::string truncation_reason;
  bool rebuilt_offset_index = false;
  bool rebuilt_time_index = false;
};

// How an append reaches the disk: through the page cache (what a leader writes is read again
// at once, by followers and consumers) or around it (see direct_appender.h).
enum class write_mode { buffered, direct };

class segment {
 public:
  static std::string file_name(int64_t base_offset, const char* suffix);

  // A new, empty segment in `dir`.
  static std::expected<std::unique_ptr<segment>, std::string> create(const std::string& dir,
                                                                     int64_t base_offset,
                                                                     int64_t index_interval_bytes);

  // An existing segment. With `validate`, every batch is checked by CRC-32C and the file is
  // truncated at the first bad one; without, only the tail is checked for consistency (and
  // fully validated if that fails). `on_batch` sees every batch header of a validating scan.
  static std::expected<std::unique_ptr<segment>, std::string> open(
      const std::string& dir, int64_t base_offset, int64_t index_interval_bytes, bool validate,
      const std::function<void(const protocol::batch_header&)>& on_batch, recovery_report& report);

  int64_t base_offset() const { return base_offset_; }
  int64_t next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t max_timestamp() const { return max_timestamp_; }
  int64_t max_timestamp_offset() const { return max_timestamp_offset_; }
  // The time segment.ms counts from: the first batch's max timestamp (as Kafka does).
  std::optional<int64_t> rolling_timestamp() const { return rolling_timestamp_; }
  const std::shared_ptr<const shared_fd>& file() const { return file_; }

  ~segment();

  // Appends one batch whose offsets are already assigned.
  std::expected<void, std::string> append(std::string_view batch,
                                          const protocol::batch_header& header);
  // Appends batches that lie back to back in `bytes`, one header each, in one write. Direct
  // writes are made for runs of direct_appender::kMinBytes or more; one the file system
  // refuses is made buffered instead, for this and later appends.
  std::expected<void, std::string> append_run(std::string_view bytes,
                                              std::span<const protocol::batch_header> headers,
                                              write_mode mode);
  // No more appends: drops the direct appender and the zeros it may have left past the end.
  void seal();

  struct batch_location {
    uint64_t position;
    protocol::batch_header header;
  };
  // The first batch whose last offset is >= `offset`, if this segment has one.
  std::expected<std::optional<batch_location>, std::string> locate(int64_t offset) const;
  // The batch header at `position`, or nullopt at the end of the segment.
  std::expected<std::optional<protocol::batch_header>, std::string> header_at(
      uint64_t position) const;
  // Reads a whole batch into memory.
  std::expected<std::string, std::string> read_batch(const batch_location& at) const;
  // The first batch with max_timestamp >= ts.
  std::expected<std::optional<batch_location>, std::string> locate_timestamp(int64_t ts) const;

  // Removes every batch at or after `offset` (replication truncation, recovery).
  std::expected<void, std::string> truncate_to(int64_t offset);

  void flush() const;
  void remove_files();

 private:
  segment(std::string dir, int64_t base_offset, int64_t index_interval_bytes);
  std::expected<void, std::string> scan(
      uint64_t from, bool validate,
      const std::function<void(const protocol::batch_header&)>& on_batch, recovery_report& report,
      bool rebuild_indexes);
  void note_batch(const protocol::batch_header& h, uint64_t position, bool index);
  // nullopt where O_DIRECT is refused: the caller writes buffered.
  std::optional<std::expected<void, std::string>> write_direct(std::string_view bytes);
  std::expected<void, std::string> truncate_file_to(uint64_t size);

  std::string dir_;
  int64_t base_offset_;
  int64_t index_interval_bytes_;
  std::shared_ptr<const shared_fd> file_;
  offset_index offsets_;
  time_index times_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t max_timestamp_offset_ = -1;
  std::optional<int64_t> rolling_timestamp_;
  uint64_t bytes_since_offset_entry_ = 0;
  uint64_t bytes_since_time_entry_ = 0;
  std::optional<direct_appender> direct_;
  bool direct_refused_ = false;  // the file system does not do O_DIRECT
  bool padded_ = false;          // the file may hold zeros past size_ (a direct append's)
};

}  // namespace tern::storage
