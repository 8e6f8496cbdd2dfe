// One Kafka client connection: reads size-prefixed request frames, dispatches each to its
// handler in arrival order and writes the responses, Fetch records straight from the files.
#pragma once

#include <memory>
#include "common/asio.h"

namespace tern::server {

class broker;

boost::asio::awaitable<void> serve_connection(broker& b,
                                              std::shared_ptr<boost::asio::ip::tcp::socket> socket);

}  // namespace tern::server
