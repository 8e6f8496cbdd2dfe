// HTTP serving. A watch holds its connection: the coroutine drains the watch channel, writes
// each batch as one chunk, and sleeps on a timer that the channel's wake-up resets. A second
// coroutine reads from the socket so that a client hanging up ends the watch at once.
#include "operator/testing/kube_api_double_http.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tern::kube_double {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct watch_state {
  explicit watch_state(asio::io_context& ioc) : timer(ioc) {}
  asio::steady_timer timer;
  bool client_gone = false;
};

void wake(const std::shared_ptr<watch_state>& state) {
  state->timer.expires_at(asio::steady_timer::time_point::min());
}

asio::awaitable<void> detect_hangup(std::shared_ptr<tcp::socket> socket,
                                    std::shared_ptr<watch_state> state) {
  char buf[256];
  boost::system::error_code ec;
  for (;;) {
    co_await socket->async_read_some(asio::buffer(buf),
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  state->client_gone = true;
  wake(state);
}

// Streams one watch. Returns whether the connection may carry another request.
asio::awaitable<bool> stream_watch(asio::io_context& ioc, api_core& core,
                                   std::shared_ptr<tcp::socket> socket,
                                   const http::request<http::string_body>& req,
                                   std::chrono::milliseconds bookmark_interval,
                                   std::chrono::seconds default_timeout) {
  auto state = std::make_shared<watch_state>(ioc);
  std::weak_ptr<watch_state> weak = state;
  api_request request{std::string(req.method_string()), std::string(req.target()),
                      std::string(req[http::field::content_type]), "", false};
  auto session = core.open_watch(request, [&ioc, weak] {
    asio::post(ioc, [weak] {
      if (auto s = weak.lock()) wake(s);
    });
  });
  if (!session) {
    http::response<http::string_body> res{static_cast<http::status>(session.error().code),
                                          req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = session.error().to_status().dump();
    res.prepare_payload();
    co_await http::async_write(*socket, res, asio::use_awaitable);
    co_return req.keep_alive();
  }
  auto channel = session->channel;
  http::response<http::empty_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-cache, private");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  co_await http::async_write_header(*socket, sr, asio::use_awaitable);
  asio::co_spawn(ioc, detect_hangup(socket, state), asio::detached);

  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + session->timeout.value_or(default_timeout);
  auto next_bookmark = clock::now() + bookmark_interval;
  bool keep_alive = false;
  try {
    for (;;) {
      auto batch = channel->take();
      if (batch.abrupt || state->client_gone) break;
      if (!batch.lines.empty()) {
        std::string data;
        for (auto& l : batch.lines) data += l;
        co_await asio::async_write(*socket, http::make_chunk(asio::buffer(data)),
                                   asio::use_awaitable);
      }
      const auto now = clock::now();
      if (batch.closed || now >= deadline) {
        co_await asio::async_write(*socket, http::make_chunk_last(), asio::use_awaitable);
        keep_alive = false;  // the client read the stream to its end; start afresh
        break;
      }
      if (channel->filter().bookmarks && now >= next_bookmark) {
        core.push_bookmark(channel);
        next_bookmark = now + bookmark_interval;
        continue;
      }
      auto wake_at = deadline;
      if (channel->filter().bookmarks) wake_at = std::min(wake_at, next_bookmark);
      state->timer.expires_at(wake_at);
      if (channel->ready() || state->client_gone) continue;
      boost::system::error_code ec;
      co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  } catch (const boost::system::system_error&) {
    // The client went away mid-write.
  }
  core.close_watch(channel);
  co_return keep_alive;
}

}  // namespace

http_server::http_server(asio::io_context& ioc, api_core& core,
                         std::chrono::milliseconds bookmark_interval,
                         std::chrono::seconds default_watch_timeout)
    : ioc_(ioc),
      core_(core),
      bookmark_interval_(bookmark_interval),
      default_watch_timeout_(default_watch_timeout),
      acceptor_(ioc) {}

std::expected<uint16_t, std::string> http_server::listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("bad address " + host);
  tcp::endpoint ep(address, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return std::unexpected("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           ec.message());
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
  return acceptor_.local_endpoint().port();
}

void http_server::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (const auto& s : sockets_) s->close(ec);
  sockets_.clear();
}

asio::awaitable<void> http_server::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto shared = std::make_shared<tcp::socket>(std::move(socket));
    sockets_.insert(shared);
    asio::co_spawn(ioc_, serve(shared), asio::detached);
  }
}

asio::awaitable<void> http_server::serve(std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      co_await http::async_read_header(*socket, buffer, parser, asio::use_awaitable);
      // curl and kubectl wait for this before they send a large body.
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
        co_await http::async_write(*socket, go_on, asio::use_awaitable);
      }
      if (!parser.is_done())
        co_await http::async_read(*socket, buffer, parser, asio::use_awaitable);
      auto req = parser.release();
      api_request request{std::string(req.method_string()), std::string(req.target()),
                          std::string(req[http::field::content_type]), req.body(), false};
      if (!core_.authorized(std::string(req[http::field::authorization]))) {
        http::response<http::string_body> res{http::status::unauthorized, req.version()};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(req.keep_alive());
        res.body() = from_code(401, "Unauthorized").to_status().dump();
        res.prepare_payload();
        co_await http::async_write(*socket, res, asio::use_awaitable);
        if (!res.keep_alive()) break;
        continue;
      }
      if (core_.is_watch(request)) {
        if (!co_await stream_watch(ioc_, core_, socket, req, bookmark_interval_,
                                   default_watch_timeout_))
          break;
        continue;
      }
      api_response reply = core_.handle(request);
      http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
      if (reply.body.is_null()) {
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = reply.text;
      } else {
        res.set(http::field::content_type, "application/json");
        res.body() = reply.body.dump();
      }
      res.set(http::field::cache_control, "no-cache, private");
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(*socket, res, asio::use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const boost::system::system_error&) {
    // The client closed the connection or sent something that is not HTTP.
  }
  boost::system::error_code ec;
  socket->shutdown(tcp::socket::shutdown_both, ec);
  socket->close(ec);
  sockets_.erase(socket);
}

}  // namespace tern::kube_double
