// Offset and time indexes: load with checks, append, look up.
#include "broker/storage/segment_index.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "broker/protocol/byte_io.h"
#include "common/file_util.h"

namespace tern::storage {

using protocol::load_be32;
using protocol::load_be64;
using protocol::store_be32;
using protocol::store_be64;

namespace {

constexpr size_t kOffsetEntry = 8;
constexpr size_t kTimeEntry = 12;

}  // namespace

// ---- index_file -----------------------------------------------------------------------

index_file::index_file(index_file&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)), entry_size_(o.entry_size_) {}

index_file& index_file::operator=(index_file&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    entry_size_ = o.entry_size_;
  }
  return *this;
}

index_file::~index_file() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<std::pair<index_file, std::string>, std::string> index_file::open(
    const std::string& path, size_t entry_size) {
  auto fd = open_rw(path, true);
  if (!fd) return std::unexpected(fd.error());
  index_file f;
  f.fd_ = *fd;
  f.path_ = path;
  f.entry_size_ = entry_size;
  auto size = file_size(*fd);
  if (!size) return std::unexpected(path + ": " + size.error());
  auto bytes = pread_some(*fd, 0, *size);
  if (!bytes) return std::unexpected(path + ": " + bytes.error());
  return std::make_pair(std::move(f), std::move(*bytes));
}

std::expected<void, std::string> index_file::write_entry(size_t index, std::string_view entry) {
  if (auto w = pwrite_all(fd_, entry, index * entry_size_); !w)
    return std::unexpected(path_ + ": " + w.error());
  return {};
}

std::expected<void, std::string> index_file::truncate_to_entries(size_t count) {
  return truncate_file(fd_, count * entry_size_);
}

void index_file::flush() const {
  if (fd_ >= 0) ::fdatasync(fd_);
}

void index_file::remove() {
  std::remove(path_.c_str());
}

// ---- offset_index ---------------------------------------------------------------------

std::expected<offset_index, std::string> offset_index::open(const std::string& path,
                                                            int64_t base_offset, uint64_t log_size,
                                                            bool* valid) {
  auto opened = index_file::open(path, kOffsetEntry);
  if (!opened) return std::unexpected(opened.error());
  auto& [file, bytes] = *opened;
  offset_index idx;
  idx.file_ = std::move(file);
  idx.base_offset_ = base_offset;
  *valid = bytes.size() % kOffsetEntry == 0;
  for (size_t p = 0; *valid && p + kOffsetEntry <= bytes.size(); p += kOffsetEntry) {
    const int64_t rel = static_cast<int32_t>(load_be32(bytes.data() + p));
    const uint64_t pos = load_be32(bytes.data() + p + 4);
    const entry e{base_offset + rel, pos};
    const bool increasing = idx.entries_.empty() || (e.offset > idx.entries_.back().offset &&
                                                     e.position > idx.entries_.back().position);
    if (rel < 0 || pos >= log_size || !increasing) *valid = false;
    idx.entries_.push_back(e);
  }
  if (!*valid) idx.entries_.clear();
  return idx;
}

std::expected<void, std::string> offset_index::append(int64_t offset, uint64_t position) {
  char buf[kOffsetEntry];
  store_be32(buf, static_cast<uint32_t>(offset - base_offset_));
  store_be32(buf + 4, static_cast<uint32_t>(position));
  if (auto w = file_.write_entry(entries_.size(), std::string_view(buf, sizeof buf)); !w) return w;
  entries_.push_back({offset, position});
  return {};
}

std::optional<offset_index::entry> offset_index::floor(int64_t offset) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), offset,
                             [](int64_t o, const entry& e) { return o < e.offset; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<offset_index::entry> offset_index::last() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::expected<void, std::string> offset_index::truncate_from_position(uint64_t position) {
  while (!entries_.empty() && entries_.back().position >= position) entries_.pop_back();
  return file_.truncate_to_entries(entries_.size());
}

std::expected<void, std::string> offset_index::clear() {
  entries_.clear();
  return file_.truncate_to_entries(0);
}

// ---- time_index -----------------------------------------------------------------------

std::expected<time_index, std::string> time_index::open(const std::string& path,
                                                        int64_t base_offset, bool* valid) {
  auto opened = index_file::open(path, kTimeEntry);
  if (!opened) return std::unexpected(opened.error());
  auto& [file, bytes] = *opened;
  time_index idx;
  idx.file_ = std::move(file);
  idx.base_offset_ = base_offset;
  *valid = bytes.size() % kTimeEntry == 0;
  for (size_t p = 0; *valid && p + kTimeEntry <= bytes.size(); p += kTimeEntry) {
    const entry e{static_cast<int64_t>(load_be64(bytes.data() + p)),
                  base_offset + static_cast<int32_t>(load_be32(bytes.data() + p + 8))};
    const bool increasing = idx.entries_.empty() || (e.timestamp > idx.entries_.back().timestamp &&
                                                     e.offset > idx.entries_.back().offset);
    if (e.offset < base_offset || !increasing) *valid = false;
    idx.entries_.push_back(e);
  }
  if (!*valid) idx.entries_.clear();
  return idx;
}

std::expected<void, std::string> time_index::append(int64_t timestamp, int64_t offset) {
  char buf[kTimeEntry];
  store_be64(buf, static_cast<uint64_t>(timestamp));
  store_be32(buf + 8, static_cast<uint32_t>(offset - base_offset_));
  if (auto w = file_.write_entry(entries_.size(), std::string_view(buf, sizeof buf)); !w) return w;
  entries_.push_back({timestamp, offset});
  return {};
}

std::optional<time_index::entry> time_index::last_before(int64_t timestamp) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), timestamp,
                             [](const entry& e, int64_t t) { return e.timestamp < t; });
  if (it == entries_.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<time_index::entry> time_index::last() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back();
}

std::expected<void, std::string> time_index::truncate_from_offset(int64_t offset) {
  while (!entries_.empty() && entries_.back().offset >= offset) entries_.pop_back();
  return file_.truncate_to_entries(entries_.size());
}

std::expected<void, std::string> time_index::clear() {
  entries_.clear();
  return file_.truncate_to_entries(0);
}

}  // namespace tern::storage
