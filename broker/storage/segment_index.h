// The sparse indexes kept beside each segment, in Kafka's file layouts:
//   <base>.index      8-byte entries: relative offset (int32 BE), file position (int32 BE)
//   <base>.timeindex 12-byte entries: timestamp ms (int64 BE), relative offset (int32 BE)
// Entries are appended as the segment grows and kept in memory for lookups. A file that is
// missing or fails its checks is reported so the segment can rebuild it from the log.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::storage {

// The file under an index: fixed-size entries appended at the end, truncated from the end.
class index_file {
 public:
  index_file() = default;
  index_file(index_file&& o) noexcept;
  index_file& operator=(index_file&& o) noexcept;
  ~index_file();

  // Opens or creates the file and returns its whole contents.
  static std::expected<std::pair<index_file, std::string>, std::string> open(
      const std::string& path, size_t entry_size);

  std::expected<void, std::string> write_entry(size_t index, std::string_view entry);
  std::expected<void, std::string> truncate_to_entries(size_t count);
  void flush() const;
  void remove();

 private:
  int fd_ = -1;
  std::string path_;
  size_t entry_size_ = 0;
};

class offset_index {
 public:
  struct entry {
    int64_t offset;
    uint64_t position;
  };

  // Opens or creates the file. `valid` is false when its contents failed the checks
  // (odd size, offsets not increasing, positions beyond `log_size`); the caller rebuilds.
  static std::expected<offset_index, std::string> open(const std::string& path, int64_t base_offset,
                                                       uint64_t log_size, bool* valid);

  std::expected<void, std::string> append(int64_t offset, uint64_t position);
  // The last entry at or before `offset`.
  std::optional<entry> floor(int64_t offset) const;
  std::optional<entry> last() const;
  // Drops entries at or beyond `position` (after the log was truncated there).
  std::expected<void, std::string> truncate_from_position(uint64_t position);
  std::expected<void, std::string> clear();
  void flush() const { file_.flush(); }
  void remove_file() { file_.remove(); }

 private:
  index_file file_;
  int64_t base_offset_ = 0;
  std::vector<entry> entries_;
};

class time_index {
 public:
  struct entry {
    int64_t timestamp;
    int64_t offset;
  };

  static std::expected<time_index, std::string> open(const std::string& path, int64_t base_offset,
                                                     bool* valid);

  std::expected<void, std::string> append(int64_t timestamp, int64_t offset);
  // The last entry whose timestamp is below `timestamp`: scanning from there finds the first
  // record at or after it.
  std::optional<entry> last_before(int64_t timestamp) const;
  std::optional<entry> last() const;
  std::expected<void, std::string> truncate_from_offset(int64_t offset);
  std::expected<void, std::string> clear();
  void flush() const { file_.flush(); }
  void remove_file() { file_.remove(); }

 private:
  index_file file_;
  int64_t base_offset_ = 0;
  std::vector<entry> entries_;
};

}  // namespace tern::storage
