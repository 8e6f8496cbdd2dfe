// Which leader epoch wrote which offsets of a partition replica: (epoch, start offset) pairs,
// kept in `leader-epoch-checkpoint` beside the segments (Kafka's text format: version 0, the
// entry count, then one "epoch start_offset" line each). A follower compares its epochs with
// the leader's (OffsetForLeaderEpoch) to find where the two logs diverge.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace tern::storage {

struct epoch_entry {
  int32_t epoch;
  int64_t start_offset;
  bool operator==(const epoch_entry&) const = default;
};

struct epoch_end {
  int32_t epoch = -1;       // the largest known epoch <= the one asked about; -1 if none
  int64_t end_offset = -1;  // the first offset after that epoch's records
};

class leader_epoch_cache {
 public:
  static constexpr const char* kFileName = "leader-epoch-checkpoint";

  // Loads `<dir>/leader-epoch-checkpoint`; a missing or unreadable file is an empty cache.
  static leader_epoch_cache load(const std::string& dir);

  // Records that `epoch` starts at `offset`. Older or equal epochs are ignored; entries that
  // start at or after `offset` are replaced (they were never written under a newer epoch).
  void assign(int32_t epoch, int64_t offset);
  // What OffsetForLeaderEpoch answers for `epoch`, given the log end offset.
  epoch_end end_offset_for(int32_t epoch, int64_t log_end_offset) const;
  // Forgets epochs starting at or after `offset` (the log was truncated there).
  void truncate_from(int64_t offset);
  void clear();

  std::optional<int32_t> latest_epoch() const;
  const std::vector<epoch_entry>& entries() const { return entries_; }

 private:
  void save() const;

  std::string path_;
  std::vector<epoch_entry> entries_;
};

}  // namespace tern::storage
