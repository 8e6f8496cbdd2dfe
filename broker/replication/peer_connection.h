// A Kafka-protocol client connection from this broker to another (a follower to its leader):
// one request at a time, encoded and decoded with the same schema codec the server uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "common/asio.h"

#include "broker/protocol/schema.h"
#include "broker/protocol/value.h"

namespace tern::replication {

struct connect_error {
  std::string message;
  // The host answered that nothing listens on the port: the broker's process is gone (a live
  // one, even paused or overloaded, keeps its listening socket).
  bool refused = false;
};

class peer_connection {
 public:
  peer_connection(boost::asio::io_context& ioc, std::string client_id);

  boost::asio::awaitable<std::expected<void, connect_error>> connect(const std::string& host,
                                                                     uint16_t port);
  bool connected() const { return socket_.is_open(); }
  void close();

  // Sends `request` at `version` (a non-flexible one: header v1, response header v0) and
  // waits for its response, or fails after `timeout`.
  boost::asio::awaitable<std::expected<protocol::struct_value, std::string>> call(
      const protocol::api_schema& api, int16_t version, const protocol::struct_value& request,
      std::chrono::milliseconds timeout);

 private:
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::string client_id_;
  int32_t next_correlation_id_ = 1;
};

}  // namespace tern::replication
