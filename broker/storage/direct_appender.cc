// Direct (O_DIRECT) appends through an aligned staging buffer.
#include "broker/storage/direct_appender.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_util.h"

namespace tern::storage {
namespace {

// Appends larger than this go out in several writes, so the staging buffer stays small.
constexpr size_t kChunk = size_t{1} << 20;

char* aligned_block_buffer(size_t size) {
  return static_cast<char*>(std::aligned_alloc(direct_appender::kBlock, size));
}

// One per thread: data to be written is copied here, after the partial block it continues,
// because O_DIRECT needs aligned memory and the fetched batches are wherever they arrived.
char* staging_buffer() {
  thread_local std::unique_ptr<char, decltype(&std::free)> buffer(
      aligned_block_buffer(kChunk + direct_appender::kBlock), &std::free);
  return buffer.get();
}

uint64_t block_floor(uint64_t at) {
  return at & ~uint64_t{direct_appender::kBlock - 1};
}

}  // namespace

std::expected<direct_appender, direct_appender::failure> direct_appender::open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0) {
    const int err = errno;
    return std::unexpected(failure{"open " + path + " with O_DIRECT: " + errno_text(err),
                                   err == EINVAL || err == EOPNOTSUPP});
  }
  return direct_appender(fd);
}

direct_appender::direct_appender(int fd)
    : fd_(std::make_unique<shared_fd>(fd)), tail_(aligned_block_buffer(kBlock)) {}

std::expected<void, direct_appender::failure> direct_appender::write_blocks(const char* data,
                                                                            size_t size,
                                                                            uint64_t at) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_->get(), data, size, static_cast<off_t>(at));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return std::unexpected(failure{"direct pwrite: " + errno_text(err), err == EINVAL});
    }
    // A short direct write (a full disk) leaves the rest unaligned: report it as it is.
    if (static_cast<size_t>(n) % kBlock != 0)
      return std::unexpected(failure{"direct pwrite wrote a partial block", false});
    data += n;
    size -= static_cast<size_t>(n);
    at += static_cast<uint64_t>(n);
  }
  return {};
}

std::expected<void, direct_appender::failure> direct_appender::append(std::string_view data,
                                                                      uint64_t end,
                                                                      int buffered_fd) {
  uint64_t block_start = block_floor(end);
  size_t head = end - block_start;  // bytes of the partial block already in the file
  if (tail_end_ != end && head > 0) {
    auto bytes = pread_some(buffered_fd, block_start, head);
    if (!bytes) return std::unexpected(failure{bytes.error(), false});
    if (bytes->size() != head)
      return std::unexpected(failure{"the segment file is shorter than its size", false});
    std::memcpy(tail_.get(), bytes->data(), head);
  }
  char* stage = staging_buffer();
  if (stage == nullptr) return std::unexpected(failure{"cannot allocate a staging buffer", false});
  while (!data.empty()) {
    const size_t take = std::min(data.size(), kChunk - head);
    std::memcpy(stage, tail_.get(), head);
    std::memcpy(stage + head, data.data(), take);
    const size_t used = head + take;
    const size_t padded = (used + kBlock - 1) / kBlock * kBlock;
    std::memset(stage + used, 0, padded - used);
    if (auto w = write_blocks(stage, padded, block_start); !w) {
      tail_end_ = kNoTail;
      return w;
    }
    const uint64_t written_end = block_start + used;
    const uint64_t next_block = block_floor(written_end);
    head = written_end - next_block;
    std::memcpy(tail_.get(), stage + (next_block - block_start), head);
    block_start = next_block;
    data.remove_prefix(take);
  }
  tail_end_ = block_start + head;
  return {};
}

bool is_block_padding(std::string_view bytes, uint64_t file_size) {
  return !bytes.empty() && bytes.size() < direct_appender::kBlock &&
         file_size % direct_appender::kBlock == 0 &&
         std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace tern::storage
