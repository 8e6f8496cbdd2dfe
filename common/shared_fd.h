// An owned file descriptor, closed when the last holder lets go; segment files are shared
// this way between the log and the Fetch responses still sending from them.
#pragma once

#include <unistd.h>

namespace tern {

class shared_fd {
 public:
  explicit shared_fd(int fd) : fd_(fd) {}
  ~shared_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  shared_fd(const shared_fd&) = delete;
  shared_fd& operator=(const shared_fd&) = delete;

  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace tern
