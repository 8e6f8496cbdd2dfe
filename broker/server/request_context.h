// What a handler knows about the request it is answering, and the handler signature.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include "common/asio.h"

#include "broker/protocol/value.h"

namespace tern::server {

class broker;

struct request_context {
  broker& b;
  int16_t api_key;
  int16_t api_version;
  int32_t correlation_id;
  std::string client_id;
  std::string client_host;
  std::string listener;  // the name of the listener the connection came through
};

// A handler's answer; nullopt sends nothing back (Produce with acks=0).
using handler_result = boost::asio::awaitable<std::optional<protocol::struct_value>>;
using handler_fn = handler_result (*)(request_context&, protocol::struct_value&);

}  // namespace tern::server
