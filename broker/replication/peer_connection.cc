// Requests to another broker over one TCP connection.
#include "broker/replication/peer_connection.h"

#include "broker/protocol/byte_io.h"
#include "broker/protocol/codec.h"

namespace tern::replication {

namespace asio = boost::asio;
using asio::use_awaitable;

peer_connection::peer_connection(asio::io_context& ioc, std::string client_id)
    : socket_(ioc), timer_(ioc), client_id_(std::move(client_id)) {}

void peer_connection::close() {
  boost::system::error_code ec;
  socket_.close(ec);
  timer_.cancel();
}

asio::awaitable<std::expected<void, connect_error>> peer_connection::connect(
    const std::string& host, uint16_t port) {
  close();
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(socket_.get_executor());
  auto endpoints = co_await resolver.async_resolve(host, std::to_string(port),
                                                   asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::unexpected(connect_error{"resolve " + host + ": " + ec.message()});
  co_await asio::async_connect(socket_, endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    close();  // a failed connect leaves the socket open, which would read as connected()
    co_return std::unexpected(
        connect_error{"connect " + host + ":" + std::to_string(port) + ": " + ec.message(),
                      ec == asio::error::connection_refused});
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return std::expected<void, connect_error>{};
}

asio::awaitable<std::expected<protocol::struct_value, std::string>> peer_connection::call(
    const protocol::api_schema& api, int16_t version, const protocol::struct_value& request,
    std::chrono::milliseconds timeout) {
  using result = std::expected<protocol::struct_value, std::string>;
  if (!socket_.is_open()) co_return result(std::unexpect, "not connected");
  const int32_t correlation_id = next_correlation_id_++;
  protocol::encoded_message m;
  protocol::byte_writer w(m.bytes);
  w.i32(0);
  w.i16(api.key);
  w.i16(version);
  w.i32(correlation_id);
  w.i16(static_cast<int16_t>(client_id_.size()));
  m.bytes += client_id_;
  protocol::encode(api.request, version, request, m);
  protocol::byte_writer::put_i32_at(m.bytes, 0, static_cast<int32_t>(m.bytes.size() - 4));

  // A timer closes the socket if the answer does not come in time.
  auto timed_out = std::make_shared<bool>(false);
  timer_.expires_after(timeout);
  timer_.async_wait([this, timed_out](boost::system::error_code ec) {
    if (ec) return;
    *timed_out = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  });
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(m.bytes),
                             asio::redirect_error(use_awaitable, ec));
  char size_bytes[4];
  if (!ec)
    co_await asio::async_read(socket_, asio::buffer(size_bytes, 4),
                              asio::redirect_error(use_awaitable, ec));
  int32_t size = 0;
  std::shared_ptr<char[]> frame;  // its records are appended from where they arrived
  if (!ec) {
    size = static_cast<int32_t>(protocol::load_be32(size_bytes));
    if (size < 4) {
      close();
      co_return result(std::unexpect, "response frame of " + std::to_string(size) + " bytes");
    }
    frame.reset(new char[static_cast<size_t>(size)]);
    co_await asio::async_read(socket_, asio::buffer(frame.get(), static_cast<size_t>(size)),
                              asio::redirect_error(use_awaitable, ec));
  }
  timer_.cancel();
  if (ec || *timed_out) {
    close();
    co_return result(std::unexpect, *timed_out ? std::string("request timed out") : ec.message());
  }
  try {
    protocol::byte_reader in(std::string_view(frame.get(), static_cast<size_t>(size)));
    if (in.i32() != correlation_id) {
      close();
      co_return result(std::unexpect, "response to another request");
    }
    co_return protocol::decode_in_place(api.response, version, in, frame);
  } catch (const protocol::malformed_input& e) {
    close();
    co_return result(std::unexpect, std::string("malformed response: ") + e.what());
  }
}

}  // namespace tern::replication
