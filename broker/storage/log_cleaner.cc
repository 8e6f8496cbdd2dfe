// Key-based compaction of closed segments.
#include "broker/storage/log_cleaner.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include "broker/protocol/byte_io.h"
#include "broker/protocol/compression.h"
#include "broker/storage/log.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace tern::storage {

namespace fs = std::filesystem;
using protocol::batch_header;
using protocol::compression;

namespace {

// The records of a batch body, decompressed when needed.
std::expected<std::string, std::string> records_of(const batch_header& h, std::string_view batch) {
  std::string_view body = batch.substr(protocol::kBatchHeaderSize);
  if (h.codec() == compression::none) return std::string(body);
  return protocol::decompress(h.codec(), body);
}

// A batch like `original` holding only `records` (raw record bytes, their offset and timestamp
// deltas unchanged, so offsets stay as they were).
std::expected<std::string, std::string> rebuild_batch(const batch_header& original,
                                                      std::string_view original_bytes,
                                                      const std::string& records, int32_t count,
                                                      int32_t last_delta, int64_t max_ts) {
  std::string body = records;
  if (original.codec() != compression::none) {
    auto packed = protocol::compress(original.codec(), records);
    if (!packed) return std::unexpected(packed.error());
    body = std::move(*packed);
  }
  std::string out(original_bytes.substr(0, protocol::kBatchHeaderSize));
  out += body;
  char* p = out.data();
  protocol::store_be32(p + protocol::kBatchLengthOffset,
                       static_cast<uint32_t>(out.size() - protocol::kBatchLogOverhead));
  protocol::store_be32(p + 23, static_cast<uint32_t>(last_delta));  // last_offset_delta
  if (!original.log_append_time())
    protocol::store_be64(p + protocol::kBatchMaxTimestampOffset, static_cast<uint64_t>(max_ts));
  protocol::store_be32(p + 57, static_cast<uint32_t>(count));  // records_count
  protocol::store_be32(p + protocol::kBatchCrcOffset,
                       crc32c(std::string_view(out).substr(protocol::kBatchAttributesOffset)));
  return out;
}

}  // namespace

std::expected<cleaning_stats, std::string> compact_log(log& l, int64_t now_ms) {
  cleaning_stats stats;
  if (l.segments_.size() < 2) return stats;
  const topic_config& cfg = l.config_;

  // Pass 1: the newest offset of every key, over the whole log.
  std::unordered_map<std::string, int64_t> latest;
  std::string failure;
  l.for_each_batch(l.log_start_offset(), [&](std::string_view batch) {
    auto h = protocol::read_batch_header(batch);
    if (!h || h->is_control()) return;
    auto records = records_of(*h, batch);
    if (!records) {
      failure = records.error();
      return;
    }
    protocol::for_each_record(
        *records, h->records_count,
        [&](const protocol::record_view& r) {
          if (r.key) latest[std::string(*r.key)] = h->base_offset + r.offset_delta;
        },
        nullptr);
  });
  if (!failure.empty()) return std::unexpected("cannot read " + l.dir_ + ": " + failure);

  // Pass 2: rewrite each closed segment old enough to clean.
  std::vector<int64_t> bases;
  for (const auto& [base, seg] : l.segments_)
    if (seg.get() != &l.active()) bases.push_back(base);
  for (int64_t base : bases) {
    segment& seg = *l.segments_.at(base);
    if (seg.empty() || now_ms - seg.max_timestamp() < cfg.min_compaction_lag_ms) continue;
    const std::string log_path = l.dir_ + "/" + segment::file_name(base, ".log");
    const std::string cleaned_path = log_path + ".cleaned";
    // Tombstones live delete.retention.ms past the time the broker last wrote the segment
    // (its modification time, which cleaning preserves), not past the records' own
    // timestamps, which producers (or a mirror) may set in the past.
    struct stat st {};
    if (::stat(log_path.c_str(), &st) != 0)
      return std::unexpected("stat " + log_path + ": " + errno_text(errno));
    const int64_t written_ms = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    const bool tombstones_expired = now_ms - written_ms > cfg.delete_retention_ms;
    std::string out;
    int64_t removed = 0;
    bool ok = true;
    uint64_t pos = 0;
    for (;;) {
      auto h = seg.header_at(pos);
      if (!h) return std::unexpected(h.error());
      if (!*h) break;
      auto bytes = seg.read_batch({pos, **h});
      if (!bytes) return std::unexpected(bytes.error());
      pos += (*h)->total_size();
      if ((*h)->is_control()) continue;
      auto records = records_of(**h, *bytes);
      if (!records) {
        ok = false;
        failure = records.error();
        break;
      }
      std::string kept;
      int32_t count = 0, last_delta = 0;
      int64_t max_ts = -1;
      protocol::for_each_record(
          *records, (*h)->records_count,
          [&](const protocol::record_view& r) {
            const int64_t offset = (*h)->base_offset + r.offset_delta;
            const bool newest = r.key && latest[std::string(*r.key)] == offset;
            const bool expired_tombstone = !r.value && tombstones_expired;
            if (!newest || expired_tombstone) {
              ++removed;
              return;
            }
            kept += r.raw;
            ++count;
            last_delta = r.offset_delta;
            max_ts = std::max(max_ts, (*h)->base_timestamp + r.timestamp_delta);
          },
          nullptr);
      if (count == (*h)->records_count) {
        out += *bytes;  // untouched batches are copied as they are
      } else if (count > 0) {
        auto rebuilt = rebuild_batch(**h, *bytes, kept, count, last_delta, max_ts);
        if (!rebuilt) {
          ok = false;
          failure = rebuilt.error();
          break;
        }
        out += *rebuilt;
      }
    }
    if (!ok) {
      spdlog::warn("{}: segment {} not compacted: {}", l.dir_, base, failure);
      continue;
    }
    if (removed == 0) continue;
    stats.bytes_before += seg.size();
    stats.bytes_after += out.size();
    stats.records_removed += removed;
    if (out.empty() && base != l.segments_.begin()->first) {
      l.delete_segment(base);
      ++stats.segments_removed;
      continue;
    }
    // Crash safety: the cleaned file is complete and synced before it replaces the old one,
    // and the old indexes go first, so a crash at any point leaves a consistent segment
    // (indexes are rebuilt when missing) and at worst a stray .cleaned file.
    if (auto w = write_file_atomically(cleaned_path, out); !w) return std::unexpected(w.error());
    const timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(AT_FDCWD, cleaned_path.c_str(), times, 0);
    std::remove((l.dir_ + "/" + segment::file_name(base, ".index")).c_str());
    std::remove((l.dir_ + "/" + segment::file_name(base, ".timeindex")).c_str());
    if (std::rename(cleaned_path.c_str(), log_path.c_str()) != 0)
      return std::unexpected("rename " + cleaned_path + ": " + errno_text(errno));
    fsync_directory(l.dir_);
    recovery_report report;
    auto reopened = segment::open(l.dir_, base, cfg.index_interval_bytes, false, {}, report);
    if (!reopened) return std::unexpected(reopened.error());
    l.segments_[base] = std::move(*reopened);
    ++stats.segments_cleaned;
  }
  return stats;
}

}  // namespace tern::storage
