// Small POSIX file helpers that report errors as text with the path, for storage code.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tern {

std::string errno_text(int err);

// Opens (creating if asked) a file for reading and writing; returns the descriptor.
std::expected<int, std::string> open_rw(const std::string& path, bool create);
std::expected<void, std::string> write_all(int fd, std::string_view data);
std::expected<void, std::string> pwrite_all(int fd, std::string_view data, uint64_t offset);
// Reads up to `size` bytes at `offset`; fewer only at end of file.
std::expected<std::string, std::string> pread_some(int fd, uint64_t offset, size_t size);
std::expected<uint64_t, std::string> file_size(int fd);
std::expected<void, std::string> truncate_file(int fd, uint64_t size);
std::expected<std::string, std::string> read_whole_file(const std::string& path);
// Writes to path.tmp, fsyncs, renames over path, fsyncs the directory: all or nothing.
std::expected<void, std::string> write_file_atomically(const std::string& path,
                                                       std::string_view data);
void fsync_directory(const std::string& dir);

}  // namespace tern
