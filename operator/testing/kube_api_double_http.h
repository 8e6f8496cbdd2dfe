// The double's HTTP/1.1 front end (Boost.Beast): plain request/response calls go to the core,
// watch requests become chunked streams of JSON lines with periodic bookmarks. Runs on one
// io_context thread; the core may be used from any thread meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <set>
#include <string>

#include "common/asio.h"
#include "operator/testing/kube_api_double_core.h"

namespace tern::kube_double {

class http_server {
 public:
  // `core` must outlive the server.
  http_server(boost::asio::io_context& ioc, api_core& core,
              std::chrono::milliseconds bookmark_interval,
              std::chrono::seconds default_watch_timeout);

  std::expected<uint16_t, std::string> listen(const std::string& host, uint16_t port);
  // Closes the listener and every connection. Call on the io_context's thread.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  boost::asio::io_context& ioc_;
  api_core& core_;
  std::chrono::milliseconds bookmark_interval_;
  std::chrono::seconds default_watch_timeout_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
};

}  // namespace tern::kube_double
