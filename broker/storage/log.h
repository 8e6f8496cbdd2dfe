// The log of one partition replica: a directory <topic>-<partition>/ of segments, the
// producer state that guards idempotent appends, and the offsets a partition exposes
// (log start, log end, high watermark).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "broker/protocol/error_code.h"
#include "broker/protocol/value.h"
#include "broker/storage/leader_epoch_cache.h"
#include "broker/storage/log_cleaner.h"
#include "broker/storage/producer_state.h"
#include "broker/storage/segment.h"
#include "broker/storage/topic_config.h"

namespace tern::storage {

class log {
 public:
  struct options {
    std::string dir;  // <log.dirs>/<topic>-<partition>
    topic_config config;
    bool recover;  // validate the active segment by CRC (after an unclean shutdown)
  };

  static std::expected<std::unique_ptr<log>, std::string> open(const options& o);

  struct append_result {
    protocol::error_code error = protocol::error_code::none;
    std::string message;  // why, for errors
    int64_t base_offset = -1;
    int64_t log_append_time = -1;
    size_t records = 0;
  };
  // Validates and appends the batches in `records` (rewritten in place with their offsets).
  // Nothing is appended unless every batch is acceptable.
  append_result append(std::span<char> records, int32_t leader_epoch, int64_t now_ms);

  // A follower's append of batches fetched from the leader: offsets and leader epochs are kept
  // as the leader assigned them; each batch is checked by CRC and must not go back in offsets.
  // `mode` direct keeps them out of the page cache (see direct_appender.h).
  append_result append_replicated(std::string_view records, int64_t now_ms, write_mode mode);

  // Removes every batch at or after `offset` (a follower's divergent tail).
  std::expected<void, std::string> truncate_to(int64_t offset);
  // Drops the whole log and starts it empty at `offset` (a follower behind the leader's log
  // start).
  std::expected<void, std::string> reset_to(int64_t offset);

  leader_epoch_cache& epochs() { return epochs_; }
  const leader_epoch_cache& epochs() const { return epochs_; }

  struct read_result {
    protocol::error_code error = protocol::error_code::none;
    protocol::records_value records;
    int64_t record_count = 0;
  };
  // Whole batches starting with the one holding `offset`, at most `max_bytes` (but at least
  // one batch when `min_one`), none at or beyond `upper_offset`.
  read_result read(int64_t offset, int64_t max_bytes, bool min_one, int64_t upper_offset) const;

  // Calls `visit` with every whole batch at or after `offset`, oldest first (for rebuilding
  // state such as consumer groups from a log).
  void for_each_batch(int64_t offset, const std::function<void(std::string_view)>& visit) const;

  struct timestamp_offset {
    int64_t offset;
    int64_t timestamp;
  };
  // The first record with timestamp >= ts (batch-precise for compressed batches).
  std::optional<timestamp_offset> offset_for_timestamp(int64_t ts) const;
  // The record with the largest timestamp, for ListOffsets' MAX_TIMESTAMP.
  std::optional<timestamp_offset> max_timestamp() const;

  int64_t log_start_offset() const { return segments_.begin()->second->base_offset(); }
  int64_t log_end_offset() const { return active().next_offset(); }
  int64_t high_watermark() const { return high_watermark_; }
  void set_high_watermark(int64_t hw) { high_watermark_ = std::min(hw, log_end_offset()); }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const topic_config& config() const { return config_; }
  void set_config(const topic_config& c) { config_ = c; }
  const std::string& dir() const { return dir_; }

  // Compaction rewrites closed segments in place (see log_cleaner.h).
  friend std::expected<cleaning_stats, std::string> compact_log(log& l, int64_t now_ms);

  // Time-based work: roll by segment.ms, retention by time and size, flush.ms.
  // Returns how many segments were deleted.
  size_t housekeeping(int64_t now_ms);
  void flush();
  // Writes the producer snapshot; the log stays usable.
  void checkpoint();
  // Deletes every file of this log.
  void remove_all();

 private:
  explicit log(const options& o);
  segment& active() const { return *segments_.rbegin()->second; }
  std::expected<void, std::string> roll(int64_t now_ms);
  std::expected<void, std::string> load_segments(bool recover);
  void rebuild_producer_state();
  void write_producer_snapshot(int64_t offset) const;
  void delete_segment(int64_t base_offset);
  void delete_snapshots_after(int64_t offset);
  // `pending_bytes` are about to be appended to the active segment ahead of the incoming ones.
  bool should_roll(size_t incoming_bytes, int64_t now_ms, int64_t last_offset,
                   uint64_t pending_bytes = 0) const;

  std::string dir_;
  topic_config config_;
  std::map<int64_t, std::unique_ptr<segment>> segments_;
  producer_state producers_;
  leader_epoch_cache epochs_;
  int64_t high_watermark_ = 0;
  int64_t unflushed_messages_ = 0;
  int64_t last_flush_ms_ = 0;
};

}  // namespace tern::storage
