// A small blocking HTTP client for the double's tests: single calls, and a watch reader that
// collects the stream's JSON lines on a thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace tern::kube_double::test {

using json = nlohmann::json;

struct http_result {
  int status = 0;
  json body;         // parsed when the body is JSON, else null
  std::string text;  // the raw body
  std::string content_type;
};

// A string body is sent as it is, any other JSON value as its dump.
http_result http_call(uint16_t port, const std::string& method, const std::string& target,
                      const json& body = nullptr,
                      const std::string& content_type = "application/json",
                      const std::string& authorization = "");

class watch_reader {
 public:
  enum class ending { open, clean, abrupt };

  // Sends the GET and waits for the response header.
  watch_reader(uint16_t port, const std::string& target);
  ~watch_reader();
  watch_reader(const watch_reader&) = delete;
  watch_reader& operator=(const watch_reader&) = delete;

  int status() const { return status_; }
  // The next event, or nullopt when none arrives within `timeout` or the stream has ended.
  std::optional<json> next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits up to `timeout` for the stream to end and says how it ended.
  ending wait_end(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void close();

 private:
  void read_loop();

  int fd_ = -1;
  int status_ = 0;
  std::string leftover_;  // bytes read with the header
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<json> events_;
  ending ending_ = ending::open;
};

}  // namespace tern::kube_double::test
