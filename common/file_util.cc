// POSIX file helpers.
#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tern {

std::string errno_text(int err) {
  return std::strerror(err);
}

std::expected<int, std::string> open_rw(const std::string& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return std::unexpected("open " + path + ": " + errno_text(errno));
  return fd;
}

std::expected<void, std::string> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected("write: " + errno_text(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::expected<void, std::string> pwrite_all(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected("pwrite: " + errno_text(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

std::expected<std::string, std::string> pread_some(int fd, uint64_t offset, size_t size) {
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected("pread: " + errno_text(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

std::expected<uint64_t, std::string> file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::unexpected("fstat: " + errno_text(errno));
  return static_cast<uint64_t>(st.st_size);
}

std::expected<void, std::string> truncate_file(int fd, uint64_t size) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0)
    return std::unexpected("ftruncate: " + errno_text(errno));
  return {};
}

std::expected<std::string, std::string> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected("open " + path + ": " + errno_text(errno));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::unexpected("read " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::expected<void, std::string> write_file_atomically(const std::string& path,
                                                       std::string_view data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected("open " + tmp + ": " + errno_text(errno));
  auto w = write_all(fd, data);
  if (w && ::fsync(fd) != 0) w = std::unexpected("fsync " + tmp + ": " + errno_text(errno));
  ::close(fd);
  if (!w) return w;
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return std::unexpected("rename " + tmp + ": " + errno_text(errno));
  fsync_directory(std::filesystem::path(path).parent_path().string());
  return {};
}

}  // namespace tern
