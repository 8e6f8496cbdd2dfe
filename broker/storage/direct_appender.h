// Appends to a segment file with O_DIRECT, past the page cache. Followers write the batches
// they replicate this way: those bytes are read again only if this broker becomes leader, and
// writing them through the page cache costs every replica a copy into newly allocated pages
// (on the benchmark VM about 2.5 s of CPU per GB, against 0.2 s direct).
//
// O_DIRECT writes whole aligned blocks, so the appender keeps the file's last partial block
// in memory and writes it again, completed, with the next append. The file may therefore end
// with less than a block of zeros past the segment's size; the segment trims them when it is
// sealed or closed, and recovery after a crash recognises them (see is_block_padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "common/shared_fd.h"

namespace tern::storage {

class direct_appender {
 public:
  // The alignment O_DIRECT needs for offsets, lengths and memory on every common device.
  static constexpr size_t kBlock = 4096;
  // Smaller appends are written through the page cache. A direct write waits for the device
  // (80-120 us for up to 64 KiB on the benchmark VM) on the broker's one I/O thread; it saves
  // CPU where a follower copies a lot, which is where its fetches bring this much. At 64 KiB
  // the waits showed in the produce p99 at 20 MB/s (7 ms cached, up to 15 ms direct).
  static constexpr size_t kMinBytes = 256 * 1024;

  struct failure {
    std::string message;
    bool unsupported;  // the file system or device refuses O_DIRECT: write buffered instead
  };

  // Opens `path` (which exists) a second time, for direct writes.
  static std::expected<direct_appender, failure> open(const std::string& path);

  // Writes `data` at `end`, the segment's size. `buffered_fd` is read for the bytes of the
  // partial block before `end` when this appender did not write them itself.
  std::expected<void, failure> append(std::string_view data, uint64_t end, int buffered_fd);

  // Someone else wrote or truncated the file: the partial block held here may be stale.
  void forget_tail() { tail_end_ = kNoTail; }

 private:
  struct free_deleter {
    void operator()(char* p) const { std::free(p); }
  };
  static constexpr uint64_t kNoTail = UINT64_MAX;

  explicit direct_appender(int fd);
  std::expected<void, failure> write_blocks(const char* data, size_t size, uint64_t at);

  std::unique_ptr<shared_fd> fd_;
  std::unique_ptr<char, free_deleter> tail_;  // the bytes of the block holding tail_end_
  uint64_t tail_end_ = kNoTail;
};

// Whether `bytes`, found where a batch should start and running to the end of the file, are
// the zeros a direct append left after the last batch (shorter than a block, ending on a
// block boundary).
bool is_block_padding(std::string_view bytes, uint64_t file_size);

}  // namespace tern::storage
