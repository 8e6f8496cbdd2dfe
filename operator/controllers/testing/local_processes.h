// Real tern-broker and etcd processes for the operator's tests: each listens on 127.0.0.1 with
// a port of its own, keeps its data in a temporary folder, and is stopped by PID when the
// object goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tern::op::testing {

uint16_t free_port();

// A folder under /tmp, removed with its contents when the object goes away.
class temp_dir {
 public:
  temp_dir() = default;
  explicit temp_dir(const std::string& prefix);
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;
  ~temp_dir();

  const std::string& path() const { return path_; }

 private:
  void remove();
  std::string path_;
};

class child_process {
 public:
  child_process() = default;
  // Starts `args` (args[0] is the program) with stdout and stderr to `log_path`. The TERN_*
  // environment variables of the test are not passed on: the broker would read them as config.
  child_process(std::vector<std::string> args, std::string log_path);
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  ~child_process();  // stop()

  // SIGTERM, then SIGKILL if it has not exited after `grace`; waits for it.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill();  // SIGKILL and wait: a crash
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;
  // Waits until the log contains `text`; returns the log, or throws with it after `timeout`.
  std::string wait_for_log(const std::string& text, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

struct local_broker {
  temp_dir dir;  // declared first, so removed after the process has stopped
  child_process process;
  std::string data_dir;   // dir's path
  std::string bootstrap;  // 127.0.0.1:port
  std::string admin_url;  // http://127.0.0.1:port

  // A tern-broker with `overrides` (key -> value) on top of a temporary data folder and
  // listeners on free ports.
  static local_broker start(const std::map<std::string, std::string>& overrides = {});
};

struct local_etcd {
  temp_dir dir;  // declared first, so removed after the process has stopped
  child_process process;
  std::string data_dir;  // dir's path
  std::string endpoint;  // 127.0.0.1:port

  static local_etcd start();
};

}  // namespace tern::op::testing
