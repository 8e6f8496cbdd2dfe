// Segment append, lookup and recovery.
#include "broker/storage/segment.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "broker/storage/fsync_observer.h"

#include "common/file_util.h"

namespace tern::storage {

using protocol::batch_header;
using protocol::kBatchHeaderSize;
using protocol::kBatchLogOverhead;
using protocol::read_batch_header;

namespace {

// Said once per process: every segment of a log directory would say the same.
void note_no_direct_io(const std::string& why) {
  static std::atomic<bool> said{false};
  if (!said.exchange(true))
    spdlog::info("{}; replicated batches are written through the page cache", why);
}

}  // namespace

std::string segment::file_name(int64_t base_offset, const char* suffix) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%020lld%s", static_cast<long long>(base_offset), suffix);
  return buf;
}

segment::segment(std::string dir, int64_t base_offset, int64_t index_interval_bytes)
    : dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset) {}

std::expected<std::unique_ptr<segment>, std::string> segment::create(const std::string& dir,
                                                                     int64_t base_offset,
                                                                     int64_t index_interval_bytes) {
  recovery_report unused;
  return open(dir, base_offset, index_interval_bytes, false, {}, unused);
}

std::expected<std::unique_ptr<segment>, std::string> segment::open(
    const std::string& dir, int64_t base_offset, int64_t index_interval_bytes, bool validate,
    const std::function<void(const batch_header&)>& on_batch, recovery_report& report) {
  std::unique_ptr<segment> s(new segment(dir, base_offset, index_interval_bytes));
  const std::string log_path = dir + "/" + file_name(base_offset, ".log");
  auto fd = open_rw(log_path, true);
  if (!fd) return std::unexpected(fd.error());
  s->file_ = std::make_shared<const shared_fd>(*fd);
  auto size = file_size(*fd);
  if (!size) return std::unexpected(log_path + ": " + size.error());

  bool offsets_ok = false;
  bool times_ok = false;
  auto offsets = offset_index::open(dir + "/" + file_name(base_offset, ".index"), base_offset,
                                    *size, &offsets_ok);
  if (!offsets) return std::unexpected(offsets.error());
  s->offsets_ = std::move(*offsets);
  auto times =
      time_index::open(dir + "/" + file_name(base_offset, ".timeindex"), base_offset, &times_ok);
  if (!times) return std::unexpected(times.error());
  s->times_ = std::move(*times);
  s->size_ = *size;

  // A large segment with no index entries at all lost its index.
  const bool offsets_missing =
      !s->offsets_.last() && *size > static_cast<uint64_t>(2 * index_interval_bytes);
  if (validate || !offsets_ok || !times_ok || offsets_missing) {
    report.rebuilt_offset_index = !offsets_ok || offsets_missing;
    report.rebuilt_time_index = !times_ok;
    if (auto c = s->offsets_.clear(); !c) return std::unexpected(c.error());
    if (auto c = s->times_.clear(); !c) return std::unexpected(c.error());
    if (auto r = s->scan(0, validate, on_batch, report, true); !r)
      return std::unexpected(r.error());
    return s;
  }
  // Trust the indexes up to their last entry and check the tail beyond it.
  uint64_t from = 0;
  if (auto last = s->offsets_.last()) from = last->position;
  if (auto t = s->times_.last()) {
    s->max_timestamp_ = t->timestamp;
    s->max_timestamp_offset_ = t->offset;
  }
  if (auto first = s->header_at(0); first && *first)
    s->rolling_timestamp_ = (*first)->max_timestamp;
  if (auto r = s->scan(from, false, on_batch, report, true); !r) return std::unexpected(r.error());
  return s;
}

std::expected<void, std::string> segment::scan(
    uint64_t from, bool validate, const std::function<void(const batch_header&)>& on_batch,
    recovery_report& report, bool index) {
  const int fd = file_->get();
  uint64_t pos = from;
  std::string problem;
  while (pos < size_) {
    auto head = pread_some(fd, pos, kBatchHeaderSize);
    if (!head) return std::unexpected(head.error());
    auto h = read_batch_header(*head);
    if (!h) {
      problem = "partial batch header";
      break;
    }
    if (h->magic != 2 ||
        h->batch_length < static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead) ||
        h->base_offset < next_offset_ || h->last_offset_delta < 0) {
      problem = "invalid batch header";
      break;
    }
    if (pos + h->total_size() > size_) {
      problem = "batch extends past the end of the file";
      break;
    }
    if (validate) {
      auto whole = pread_some(fd, pos, h->total_size());
      if (!whole) return std::unexpected(whole.error());
      if (!protocol::batch_crc_matches(*whole)) {
        problem = "CRC-32C mismatch";
        break;
      }
    }
    note_batch(*h, pos, index);
    if (on_batch) on_batch(*h);
    pos += h->total_size();
  }
  if (pos < size_ && size_ - pos < direct_appender::kBlock) {
    // A direct append's zeros after the last batch, left by a crash: not damage.
    auto rest = pread_some(fd, pos, size_ - pos);
    if (!rest) return std::unexpected(rest.error());
    if (is_block_padding(*rest, size_)) {
      if (auto t = truncate_file_to(pos); !t) return t;
      return {};
    }
  }
  if (pos < size_) {
    char where[160];
    std::snprintf(where, sizeof where, "%s at byte %llu of %s", problem.c_str(),
                  static_cast<unsigned long long>(pos), file_name(base_offset_, ".log").c_str());
    report.truncated_bytes += size_ - pos;
    report.truncation_reason = where;
    if (auto t = truncate_file_to(pos); !t) return t;
    if (auto t = offsets_.truncate_from_position(pos); !t) return t;
    if (auto t = times_.truncate_from_offset(next_offset_); !t) return t;
  }
  return {};
}

void segment::note_batch(const batch_header& h, uint64_t position, bool index) {
  if (index && bytes_since_offset_entry_ >= static_cast<uint64_t>(index_interval_bytes_)) {
    // Failures to extend an index are not fatal: lookups fall back to scanning, and the
    // index is rebuilt on the next start if it is inconsistent.
    (void)offsets_.append(h.base_offset, position);
    auto last = times_.last();
    if (max_timestamp_ >= 0 && (!last || max_timestamp_ > last->timestamp))
      (void)times_.append(max_timestamp_, max_timestamp_offset_);
    bytes_since_offset_entry_ = 0;
  }
  bytes_since_offset_entry_ += h.total_size();
  if (!rolling_timestamp_) rolling_timestamp_ = h.max_timestamp;
  if (h.max_timestamp > max_timestamp_) {
    max_timestamp_ = h.max_timestamp;
    max_timestamp_offset_ = h.last_offset();
  }
  next_offset_ = h.last_offset() + 1;
}

segment::~segment() {
  seal();
}

std::expected<void, std::string> segment::append(std::string_view batch, const batch_header& h) {
  return append_run(batch, std::span(&h, 1), write_mode::buffered);
}

std::expected<void, std::string> segment::append_run(std::string_view bytes,
                                                     std::span<const batch_header> headers,
                                                     write_mode mode) {
  std::optional<std::expected<void, std::string>> w;
  if (mode == write_mode::direct && bytes.size() >= direct_appender::kMinBytes)
    w = write_direct(bytes);
  if (!w) {
    if (direct_) direct_->forget_tail();
    w = pwrite_all(file_->get(), bytes, size_);
  }
  if (!*w) {
    // Leave no partial batch behind: the file must end at a batch boundary.
    (void)truncate_file_to(size_);
    return std::unexpected(file_name(base_offset_, ".log") + ": " + w->error());
  }
  uint64_t position = size_;
  for (const batch_header& h : headers) {
    note_batch(h, position, true);
    position += h.total_size();
  }
  size_ += bytes.size();
  return {};
}

std::optional<std::expected<void, std::string>> segment::write_direct(std::string_view bytes) {
  if (direct_refused_) return std::nullopt;
  if (!direct_) {
    auto opened = direct_appender::open(dir_ + "/" + file_name(base_offset_, ".log"));
    if (!opened && opened.error().unsupported) {
      note_no_direct_io(opened.error().message);
      direct_refused_ = true;
      return std::nullopt;
    }
    if (!opened) return std::unexpected(opened.error().message);
    direct_.emplace(std::move(*opened));
  }
  padded_ = true;
  auto w = direct_->append(bytes, size_, file_->get());
  if (!w && w.error().unsupported) {
    note_no_direct_io(w.error().message);
    direct_refused_ = true;
    direct_.reset();
    return std::nullopt;
  }
  if (!w) return std::unexpected(w.error().message);
  return std::expected<void, std::string>{};
}

std::expected<void, std::string> segment::truncate_file_to(uint64_t size) {
  if (auto t = truncate_file(file_->get(), size); !t) return t;
  size_ = size;
  padded_ = false;
  if (direct_) direct_->forget_tail();
  return {};
}

void segment::seal() {
  direct_.reset();
  if (padded_) (void)truncate_file_to(size_);
}

std::expected<std::optional<batch_header>, std::string> segment::header_at(
    uint64_t position) const {
  if (position >= size_) return std::nullopt;
  auto head = pread_some(file_->get(), position, kBatchHeaderSize);
  if (!head) return std::unexpected(head.error());
  auto h = read_batch_header(*head);
  if (!h) return std::unexpected("short batch header at byte " + std::to_string(position));
  return h;
}

std::expected<std::optional<segment::batch_location>, std::string> segment::locate(
    int64_t offset) const {
  uint64_t pos = 0;
  if (auto e = offsets_.floor(offset)) pos = e->position;
  while (pos < size_) {
    auto h = header_at(pos);
    if (!h) return std::unexpected(h.error());
    if (!*h) break;
    if ((*h)->last_offset() >= offset) return batch_location{pos, **h};
    pos += (*h)->total_size();
  }
  return std::nullopt;
}

std::expected<std::optional<segment::batch_location>, std::string> segment::locate_timestamp(
    int64_t ts) const {
  uint64_t pos = 0;
  if (auto t = times_.last_before(ts)) {
    if (auto e = offsets_.floor(t->offset)) pos = e->position;
  }
  while (pos < size_) {
    auto h = header_at(pos);
    if (!h) return std::unexpected(h.error());
    if (!*h) break;
    if ((*h)->max_timestamp >= ts) return batch_location{pos, **h};
    pos += (*h)->total_size();
  }
  return std::nullopt;
}

std::expected<std::string, std::string> segment::read_batch(const batch_location& at) const {
  auto bytes = pread_some(file_->get(), at.position, at.header.total_size());
  if (!bytes) return bytes;
  if (bytes->size() != at.header.total_size())
    return std::unexpected("batch at byte " + std::to_string(at.position) + " is cut short");
  return bytes;
}

std::expected<void, std::string> segment::truncate_to(int64_t offset) {
  auto at = locate(offset);
  if (!at) return std::unexpected(at.error());
  if (!*at) return {};
  const uint64_t pos = (*at)->position;
  if (auto t = truncate_file_to(pos); !t) return t;
  if (auto t = offsets_.truncate_from_position(pos); !t) return t;
  if (auto t = times_.truncate_from_offset((*at)->header.base_offset); !t) return t;
  // Recompute what the tail determined.
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  max_timestamp_offset_ = -1;
  rolling_timestamp_.reset();
  bytes_since_offset_entry_ = 0;
  if (auto t = times_.last()) {
    max_timestamp_ = t->timestamp;
    max_timestamp_offset_ = t->offset;
  }
  uint64_t from = 0;
  if (auto last = offsets_.last()) from = last->position;
  if (auto first = header_at(0); first && *first) rolling_timestamp_ = (*first)->max_timestamp;
  const uint64_t end = size_;
  size_ = end;
  recovery_report unused;
  return scan(from, false, {}, unused, false);
}

void segment::flush() const {
  const auto start = std::chrono::steady_clock::now();
  ::fdatasync(file_->get());
  report_fsync(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  offsets_.flush();
  times_.flush();
}

void segment::remove_files() {
  std::remove((dir_ + "/" + file_name(base_offset_, ".log")).c_str());
  offsets_.remove_file();
  times_.remove_file();
}

}  // namespace tern::storage
