// The broker's HTTP endpoint (Boost.Beast): health, metrics and the admin API.
#pragma once

#include <expected>
#include <functional>
#include <string>
#include "common/asio.h"

namespace tern::admin {

struct http_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Routes a request (method such as "GET" or "POST", and path) to a reply.
using http_router = std::function<http_reply(const std::string& method, const std::string& path)>;

class admin_server {
 public:
  admin_server(boost::asio::io_context& ioc, http_router router);

  std::expected<uint16_t, std::string> listen(const std::string& host, uint16_t port);
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  http_router router_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace tern::admin
