// Compaction (cleanup.policy=compact): rewrites a log's closed segments keeping only the
// newest record of each key, and removing tombstones (null values) once they are older than
// delete.retention.ms. Offsets never change; batches keep their base offsets, codec and
// producer fields, so consumers and followers read cleaned segments like any other.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace tern::storage {

class log;

struct cleaning_stats {
  size_t segments_cleaned = 0;
  size_t segments_removed = 0;  // emptied completely
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  int64_t records_removed = 0;
};

// Compacts every closed segment of `l` whose newest record is at least min.compaction.lag.ms
// old. The active segment is read (its keys supersede older ones) but never rewritten.
std::expected<cleaning_stats, std::string> compact_log(log& l, int64_t now_ms);

}  // namespace tern::storage
