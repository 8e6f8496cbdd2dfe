// A small keep-alive HTTP/1.1 server for health checks and metrics scrapes.
#include "broker/admin/admin_server.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include "common/asio.h"

namespace tern::admin {

namespace asio = boost::asio;
namespace http = boost::beast::http;

admin_server::admin_server(asio::io_context& ioc, http_router router)
    : ioc_(ioc), router_(std::move(router)), acceptor_(ioc) {}

std::expected<uint16_t, std::string> admin_server::listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("admin.listeners: bad address " + host);
  asio::ip::tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return std::unexpected("admin.listeners: cannot listen on " + host + ":" +
                           std::to_string(port) + ": " + ec.message());
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
  return acceptor_.local_endpoint().port();
}

void admin_server::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> admin_server::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;
    }
    asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> admin_server::serve(asio::ip::tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(socket, buffer, req, asio::use_awaitable);
      std::string path(req.target());
      if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
      const std::string method = req.method() == http::verb::head
                                     ? std::string("GET")
                                     : std::string(http::to_string(req.method()));
      http_reply reply = router_(method, path);
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      res.set(http::field::server, "tern");
      res.set(http::field::content_type, reply.content_type);
      res.keep_alive(req.keep_alive());
      res.body() = std::move(reply.body);
      res.prepare_payload();
      co_await http::async_write(socket, res, asio::use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const boost::system::system_error&) {
    // Client went away or sent garbage; nothing to report.
  }
  boost::system::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

}  // namespace tern::admin
