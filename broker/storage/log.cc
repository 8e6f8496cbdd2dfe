// Partition log: append with validation and idempotence, reads for Fetch, retention.
#include "broker/storage/log.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>

#include "broker/protocol/compression.h"
#include "common/file_util.h"

namespace tern::storage {

namespace fs = std::filesystem;
using protocol::batch_header;
using protocol::error_code;

namespace {

constexpr const char* kSnapshotSuffix = ".snapshot";

std::optional<int64_t> base_offset_of(const fs::path& p, const char* suffix) {
  const std::string name = p.filename().string();
  if (!name.ends_with(suffix) || name.size() != 20 + std::strlen(suffix)) return std::nullopt;
  return parse_int(name.substr(0, 20));
}

// Compaction keeps records by key, so a compacted topic refuses records without one (as
// Kafka does). Returns why the batch is refused, or nothing.
std::string find_keyless_record(const batch_header& h, std::string_view batch) {
  std::string_view body = batch.substr(protocol::kBatchHeaderSize);
  std::string decompressed;
  if (h.codec() != protocol::compression::none) {
    auto d = protocol::decompress(h.codec(), body);
    if (!d) return "cannot decompress batch: " + d.error();
    decompressed = std::move(*d);
    body = decompressed;
  }
  bool keyless = false;
  std::string reason;
  if (!protocol::for_each_record(
          body, h.records_count, [&](const protocol::record_view& r) { keyless |= !r.key; },
          &reason))
    return "malformed records: " + reason;
  return keyless ? "Compacted topic cannot accept message without key" : "";
}

log::append_result refuse(error_code e, std::string message) {
  log::append_result r;
  r.error = e;
  r.message = std::move(message);
  return r;
}

}  // namespace

log::log(const options& o) : dir_(o.dir), config_(o.config) {}

std::expected<std::unique_ptr<log>, std::string> log::open(const options& o) {
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (ec) return std::unexpected("create " + o.dir + ": " + ec.message());
  std::unique_ptr<log> l(new log(o));
  if (auto r = l->load_segments(o.recover); !r) return std::unexpected(r.error());
  l->rebuild_producer_state();
  l->epochs_ = leader_epoch_cache::load(o.dir);
  l->epochs_.truncate_from(l->log_end_offset());
  l->high_watermark_ = l->log_end_offset();
  return l;
}

std::expected<void, std::string> log::load_segments(bool recover) {
  std::vector<int64_t> bases;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    // Leftovers of an interrupted atomic write or compaction.
    if (entry.path().extension() == ".tmp" || entry.path().extension() == ".cleaned") {
      fs::remove(entry.path());
      continue;
    }
    if (auto b = base_offset_of(entry.path(), ".log")) bases.push_back(*b);
  }
  std::sort(bases.begin(), bases.end());
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    recovery_report report;
    auto seg =
        segment::open(dir_, bases[i], config_.index_interval_bytes, recover && last, {}, report);
    if (!seg) return std::unexpected(seg.error());
    if (report.truncated_bytes > 0)
      spdlog::warn("{}: recovered segment {}: removed {} bytes ({})", dir_, bases[i],
                   report.truncated_bytes, report.truncation_reason);
    if (report.rebuilt_offset_index || report.rebuilt_time_index)
      spdlog::warn("{}: rebuilt the {} of segment {}", dir_,
                   report.rebuilt_offset_index ? "offset index" : "time index", bases[i]);
    if (!segments_.empty() && (*seg)->base_offset() < segments_.rbegin()->second->next_offset())
      spdlog::warn("{}: segment {} overlaps the segment before it", dir_, bases[i]);
    segments_[bases[i]] = std::move(*seg);
  }
  if (segments_.empty()) {
    auto seg = segment::create(dir_, 0, config_.index_interval_bytes);
    if (!seg) return std::unexpected(seg.error());
    segments_[0] = std::move(*seg);
  }
  return {};
}

void log::rebuild_producer_state() {
  // Start from the newest snapshot that the log still covers, then replay the batches after it.
  int64_t from = log_start_offset();
  std::vector<std::pair<int64_t, fs::path>> snapshots;
  for (const auto& entry : fs::directory_iterator(dir_))
    if (auto o = base_offset_of(entry.path(), kSnapshotSuffix))
      snapshots.emplace_back(*o, entry.path());
  std::sort(snapshots.rbegin(), snapshots.rend());
  for (const auto& [offset, path] : snapshots) {
    if (offset > log_end_offset() || offset < log_start_offset()) continue;
    auto text = read_whole_file(path.string());
    if (!text) continue;
    producer_state loaded;
    if (auto at = loaded.load(*text); at && *at == offset) {
      producers_ = std::move(loaded);
      from = offset;
      break;
    }
    spdlog::warn("{}: ignoring unreadable producer snapshot {}", dir_, path.string());
  }
  auto it = segments_.upper_bound(from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const segment& seg = *it->second;
    auto loc = seg.locate(from);
    if (!loc || !*loc) continue;
    uint64_t pos = (*loc)->position;
    for (;;) {
      auto h = seg.header_at(pos);
      if (!h || !*h) break;
      if ((*h)->base_offset >= from) producers_.record(**h);
      pos += (*h)->total_size();
    }
  }
}

void log::write_producer_snapshot(int64_t offset) const {
  const std::string path = dir_ + "/" + segment::file_name(offset, kSnapshotSuffix);
  if (auto w = write_file_atomically(path, producers_.snapshot(offset)); !w)
    spdlog::warn("{}: cannot write producer snapshot: {}", dir_, w.error());
}

bool log::should_roll(size_t incoming_bytes, int64_t now_ms, int64_t last_offset,
                      uint64_t pending_bytes) const {
  const segment& a = active();
  if (a.empty() && pending_bytes == 0) return false;
  if (a.size() + pending_bytes + incoming_bytes > static_cast<uint64_t>(config_.segment_bytes))
    return true;
  if (last_offset - a.base_offset() > INT32_MAX) return true;  // relative offsets are int32
  if (a.rolling_timestamp() && now_ms - *a.rolling_timestamp() > config_.segment_ms) return true;
  return false;
}

std::expected<void, std::string> log::roll(int64_t now_ms) {
  (void)now_ms;
  if (active().empty()) return {};
  const int64_t base = log_end_offset();
  active().seal();
  write_producer_snapshot(base);
  auto seg = segment::create(dir_, base, config_.index_interval_bytes);
  if (!seg) return std::unexpected(seg.error());
  segments_[base] = std::move(*seg);
  return {};
}

log::append_result log::append(std::span<char> records, int32_t leader_epoch, int64_t now_ms) {
  struct pending {
    size_t position;
    batch_header header;
  };
  std::vector<pending> batches;
  size_t pos = 0;
  int64_t record_count = 0;
  while (pos < records.size()) {
    std::string_view rest(records.data() + pos, records.size() - pos);
    auto h = protocol::read_batch_header(rest);
    if (!h) return refuse(error_code::corrupt_message, "truncated batch header");
    if (h->batch_length < 0 || h->total_size() > rest.size())
      return refuse(error_code::corrupt_message, "batch length exceeds the records sent");
    if (h->magic != 2)
      return refuse(error_code::unsupported_for_message_format,
                    "only RecordBatch magic 2 is supported");
    if (static_cast<int64_t>(h->total_size()) > config_.max_message_bytes)
      return refuse(error_code::message_too_large, "batch of " + std::to_string(h->total_size()) +
                                                       " bytes exceeds max.message.bytes " +
                                                       std::to_string(config_.max_message_bytes));
    if (auto problem = protocol::check_batch(rest.substr(0, h->total_size()))) {
      const bool crc = problem.what == protocol::batch_problem::kind::bad_crc;
      return refuse(crc ? error_code::corrupt_message : error_code::invalid_record, problem.detail);
    }
    if (h->is_transactional() || h->is_control())
      return refuse(error_code::invalid_txn_state, "transactions are not supported");
    if (config_.cleanup_compact) {
      if (auto missing = find_keyless_record(*h, rest.substr(0, h->total_size())); !missing.empty())
        return refuse(error_code::invalid_record, missing);
    }
    batches.push_back({pos, *h});
    record_count += h->records_count;
    pos += h->total_size();
  }
  if (batches.empty()) return refuse(error_code::corrupt_message, "no record batch sent");
  if (static_cast<int64_t>(records.size()) > config_.segment_bytes)
    return refuse(error_code::record_list_too_large, "records exceed segment.bytes");

  for (const pending& p : batches) {
    if (p.header.producer_id < 0) continue;
    auto v = producers_.check(p.header);
    if (v.error != error_code::none)
      return refuse(v.error, "sequence " + std::to_string(p.header.base_sequence) +
                                 " rejected for producer " + std::to_string(p.header.producer_id));
    if (v.duplicate) {
      if (batches.size() != 1)
        return refuse(error_code::duplicate_sequence_number, "duplicate batch among several");
      append_result r;
      r.base_offset = v.duplicate_of.first_offset;
      return r;
    }
  }

  const int64_t last =
      log_end_offset() + (batches.back().header.last_offset() - batches.front().header.base_offset);
  if (should_roll(records.size(), now_ms, last)) {
    if (auto r = roll(now_ms); !r) return refuse(error_code::unknown_server_error, r.error());
  }

  append_result result;
  result.base_offset = log_end_offset();
  epochs_.assign(leader_epoch, result.base_offset);
  if (config_.log_append_time) result.log_append_time = now_ms;
  for (pending& p : batches) {
    char* b = records.data() + p.position;
    const int64_t base = log_end_offset();
    protocol::set_base_offset(b, base);
    protocol::set_partition_leader_epoch(b, leader_epoch);
    if (config_.log_append_time) {
      protocol::set_log_append_time(b, p.header.total_size(), now_ms);
      p.header.max_timestamp = now_ms;
    }
    p.header.base_offset = base;
    p.header.partition_leader_epoch = leader_epoch;
    if (auto w = active().append(std::string_view(b, p.header.total_size()), p.header); !w) {
      spdlog::error("{}: append failed: {}", dir_, w.error());
      return refuse(error_code::unknown_server_error, w.error());
    }
    producers_.record(p.header);
  }
  result.records = static_cast<size_t>(record_count);
  unflushed_messages_ += record_count;
  if (unflushed_messages_ >= config_.flush_messages) flush();
  return result;
}

log::append_result log::append_replicated(std::string_view records, int64_t now_ms,
                                          write_mode mode) {
  std::vector<std::pair<size_t, batch_header>> batches;
  size_t pos = 0;
  int64_t expected = log_end_offset();
  int64_t record_count = 0;
  while (pos < records.size()) {
    std::string_view rest(records.data() + pos, records.size() - pos);
    auto h = protocol::read_batch_header(rest);
    // A fetch response may end with a partial batch (cut at max_bytes): stop before it.
    if (!h || h->batch_length < 0 || h->total_size() > rest.size()) break;
    if (h->magic != 2)
      return refuse(error_code::unsupported_for_message_format,
                    "replicated batch of magic " + std::to_string(h->magic));
    // The CRC only: batches the leader compacted have gaps in their offset deltas.
    if (!protocol::batch_crc_matches(rest.substr(0, h->total_size())))
      return refuse(
          error_code::corrupt_message,
          "replicated batch at offset " + std::to_string(h->base_offset) + " fails its CRC");
    // Compaction leaves gaps between batches, so later is fine; earlier is not.
    if (h->base_offset < expected)
      return refuse(error_code::unknown_server_error,
                    "replicated batch at offset " + std::to_string(h->base_offset) +
                        " is behind the log end " + std::to_string(expected));
    expected = h->last_offset() + 1;
    batches.emplace_back(pos, *h);
    record_count += h->records_count;
    pos += h->total_size();
  }
  append_result result;
  if (batches.empty()) return result;
  result.base_offset = batches.front().second.base_offset;
  // Batches that go to one segment are written together: one write per fetched partition.
  std::vector<batch_header> run;
  for (size_t i = 0; i < batches.size();) {
    if (should_roll(batches[i].second.total_size(), now_ms, batches[i].second.last_offset())) {
      if (auto r = roll(now_ms); !r) return refuse(error_code::unknown_server_error, r.error());
    }
    const size_t start = batches[i].first;
    uint64_t run_bytes = 0;
    run.clear();
    do {
      const batch_header& h = batches[i].second;
      epochs_.assign(h.partition_leader_epoch, h.base_offset);
      run.push_back(h);
      run_bytes += h.total_size();
      ++i;
    } while (i < batches.size() && !should_roll(batches[i].second.total_size(), now_ms,
                                                batches[i].second.last_offset(), run_bytes));
    const std::string_view bytes(records.data() + start, run_bytes);
    if (auto w = active().append_run(bytes, run, mode); !w) {
      spdlog::error("{}: replicated append failed: {}", dir_, w.error());
      return refuse(error_code::unknown_server_error, w.error());
    }
    for (const batch_header& h : run) producers_.record(h);
  }
  result.records = static_cast<size_t>(record_count);
  unflushed_messages_ += record_count;
  if (unflushed_messages_ >= config_.flush_messages) flush();
  return result;
}

void log::delete_snapshots_after(int64_t offset) {
  for (const auto& entry : fs::directory_iterator(dir_))
    if (auto o = base_offset_of(entry.path(), kSnapshotSuffix); o && *o > offset)
      fs::remove(entry.path());
}

std::expected<void, std::string> log::truncate_to(int64_t offset) {
  if (offset >= log_end_offset()) return {};
  if (offset <= log_start_offset()) return reset_to(log_start_offset());
  while (segments_.size() > 1 && segments_.rbegin()->first >= offset)
    delete_segment(segments_.rbegin()->first);
  if (auto t = active().truncate_to(offset); !t) return t;
  epochs_.truncate_from(log_end_offset());
  delete_snapshots_after(log_end_offset());
  producers_ = producer_state{};
  rebuild_producer_state();
  high_watermark_ = std::min(high_watermark_, log_end_offset());
  spdlog::info("{}: truncated to offset {}", dir_, log_end_offset());
  return {};
}

std::expected<void, std::string> log::reset_to(int64_t offset) {
  while (!segments_.empty()) delete_segment(segments_.begin()->first);
  delete_snapshots_after(-1);
  auto seg = segment::create(dir_, offset, config_.index_interval_bytes);
  if (!seg) return std::unexpected(seg.error());
  segments_[offset] = std::move(*seg);
  producers_ = producer_state{};
  epochs_.clear();
  high_watermark_ = offset;
  spdlog::info("{}: emptied, starting at offset {}", dir_, offset);
  return {};
}

log::read_result log::read(int64_t offset, int64_t max_bytes, bool min_one,
                           int64_t upper_offset) const {
  read_result r;
  if (offset < log_start_offset() || offset > log_end_offset()) {
    r.error = error_code::offset_out_of_range;
    return r;
  }
  if (offset >= upper_offset) return r;
  auto it = segments_.upper_bound(offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const segment& seg = *it->second;
    auto loc = seg.locate(offset);
    if (!loc) {
      spdlog::error("{}: read at offset {} failed: {}", dir_, offset, loc.error());
      r.error = error_code::unknown_server_error;
      return r;
    }
    if (!*loc) continue;  // offset lies beyond this segment
    uint64_t pos = (*loc)->position;
    uint64_t total = 0;
    std::optional<batch_header> h = (*loc)->header;
    while (h && h->base_offset < upper_offset) {
      const uint64_t size = h->total_size();
      if (total + size > static_cast<uint64_t>(max_bytes) && !(total == 0 && min_one)) break;
      total += size;
      r.record_count += h->records_count;
      auto next = seg.header_at(pos + total);
      if (!next) break;
      h = *next;
    }
    if (total > 0) r.records.slices.push_back({seg.file(), pos, static_cast<uint32_t>(total)});
    return r;
  }
  return r;
}

void log::for_each_batch(int64_t offset, const std::function<void(std::string_view)>& visit) const {
  auto it = segments_.upper_bound(offset);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const segment& seg = *it->second;
    auto loc = seg.locate(offset);
    if (!loc || !*loc) continue;
    uint64_t pos = (*loc)->position;
    for (;;) {
      auto h = seg.header_at(pos);
      if (!h || !*h) break;
      auto bytes = seg.read_batch({pos, **h});
      if (!bytes) {
        spdlog::error("{}: cannot read batch at byte {}: {}", dir_, pos, bytes.error());
        break;
      }
      visit(*bytes);
      pos += (*h)->total_size();
    }
  }
}

std::optional<log::timestamp_offset> log::offset_for_timestamp(int64_t ts) const {
  for (const auto& [base, seg] : segments_) {
    if (seg->empty() || seg->max_timestamp() < ts) continue;
    auto loc = seg->locate_timestamp(ts);
    if (!loc || !*loc) continue;
    const batch_header& h = (*loc)->header;
    if (h.codec() != protocol::compression::none || h.log_append_time())
      return timestamp_offset{h.base_offset, h.max_timestamp};
    auto bytes = seg->read_batch(**loc);
    if (!bytes) return std::nullopt;
    std::optional<timestamp_offset> found;
    protocol::for_each_record(
        std::string_view(*bytes).substr(protocol::kBatchHeaderSize), h.records_count,
        [&](const protocol::record_view& rec) {
          const int64_t t = h.base_timestamp + rec.timestamp_delta;
          if (!found && t >= ts) found = timestamp_offset{h.base_offset + rec.offset_delta, t};
        },
        nullptr);
    if (found) return found;
    return timestamp_offset{h.base_offset, h.max_timestamp};
  }
  return std::nullopt;
}

std::optional<log::timestamp_offset> log::max_timestamp() const {
  std::optional<timestamp_offset> best;
  for (const auto& [base, seg] : segments_)
    if (!seg->empty() && (!best || seg->max_timestamp() > best->timestamp))
      best = timestamp_offset{seg->max_timestamp_offset(), seg->max_timestamp()};
  return best;
}

uint64_t log::size_bytes() const {
  uint64_t n = 0;
  for (const auto& [base, seg] : segments_) n += seg->size();
  return n;
}

void log::delete_segment(int64_t base_offset) {
  auto it = segments_.find(base_offset);
  if (it == segments_.end()) return;
  it->second->remove_files();
  segments_.erase(it);
}

size_t log::housekeeping(int64_t now_ms) {
  size_t deleted = 0;
  if (!active().empty() && active().rolling_timestamp() &&
      now_ms - *active().rolling_timestamp() > config_.segment_ms)
    (void)roll(now_ms);
  if (config_.cleanup_delete && config_.retention_ms >= 0) {
    while (!segments_.empty()) {
      segment& oldest = *segments_.begin()->second;
      if (oldest.empty() || now_ms - oldest.max_timestamp() <= config_.retention_ms) break;
      if (&oldest == &active()) {
        if (!roll(now_ms)) break;
      }
      delete_segment(oldest.base_offset());
      ++deleted;
    }
  }
  if (config_.cleanup_delete && config_.retention_bytes >= 0) {
    int64_t excess = static_cast<int64_t>(size_bytes()) - config_.retention_bytes;
    while (segments_.size() > 1) {
      segment& oldest = *segments_.begin()->second;
      if (excess < static_cast<int64_t>(oldest.size())) break;
      excess -= static_cast<int64_t>(oldest.size());
      delete_segment(oldest.base_offset());
      ++deleted;
    }
  }
  if (deleted > 0) {
    high_watermark_ = std::max(high_watermark_, log_start_offset());
    // Snapshots before the new start can no longer be replayed from.
    for (const auto& entry : fs::directory_iterator(dir_))
      if (auto o = base_offset_of(entry.path(), kSnapshotSuffix); o && *o < log_start_offset())
        fs::remove(entry.path());
  }
  if (config_.flush_ms != INT64_MAX && now_ms - last_flush_ms_ >= config_.flush_ms) {
    flush();
    last_flush_ms_ = now_ms;
  }
  return deleted;
}

void log::flush() {
  active().flush();
  unflushed_messages_ = 0;
}

void log::checkpoint() {
  write_producer_snapshot(log_end_offset());
}

void log::remove_all() {
  segments_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace tern::storage
