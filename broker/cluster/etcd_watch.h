// A watch on every key under a prefix through etcd's v3 JSON gateway (POST /v3/watch, whose
// answer streams one JSON message per change), on a thread of its own. It only signals: the
// cluster agent reads the whole view again when told, so a change missed while the stream
// was down is covered by signalling again whenever a stream is (re)established.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tern::cluster {

class etcd_watch {
 public:
  // `endpoints`: "host:port[,host:port...]", tried in turn. `on_change` runs on the watch's
  // thread: when a stream starts, and for every message that reports changed keys.
  etcd_watch(const std::string& endpoints, std::string prefix, std::function<void()> on_change);
  ~etcd_watch();  // stops the thread

  etcd_watch(const etcd_watch&) = delete;
  etcd_watch& operator=(const etcd_watch&) = delete;

  // Streams established so far (1 after the first connection; more after reconnections).
  int streams() const { return streams_.load(); }

 private:
  void run();
  // One stream, until it fails or the watch stops; returns why it ended.
  std::string stream_from(const std::string& endpoint);

  std::vector<std::string> endpoints_;
  std::string prefix_;
  std::function<void()> on_change_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
  std::mutex socket_mutex_;
  int socket_fd_ = -1;  // the stream's socket, shut down by the destructor to end a read
  std::thread thread_;
};

}  // namespace tern::cluster
