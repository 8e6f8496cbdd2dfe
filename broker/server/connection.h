// One Kafka client connection: reads size-prefixed request frames, dispatches each to its
// handler in arrival order and writes the responses, Fetch records straight from the files.
#pragma once

#include <memory>
#include <string>
#include "common/asio.h"

namespace tern::server {

class broker;

// `listener`: the name of the listener that accepted the connection (its clients are told
// that listener's addresses).
boost::asio::awaitable<void> serve_connection(broker& b,
                                              std::shared_ptr<boost::asio::ip::tcp::socket> socket,
                                              std::string listener);

}  // namespace tern::server
