// The per-connection request loop.
#include "broker/server/connection.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <chrono>
#include <deque>
#include <optional>

#include "common/asio.h"

#include "broker/protocol/codec.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/messages/messages.h"
#include "broker/server/api_registry.h"
#include "broker/server/broker.h"
#include "broker/server/data_signal.h"

namespace tern::server {

namespace asio = boost::asio;
using asio::use_awaitable;
using protocol::byte_reader;
using protocol::encoded_message;

namespace {

constexpr int16_t kApiVersionsKey = 18;

// Sends a file range with sendfile(2), waiting for the socket whenever it is full.
asio::awaitable<bool> send_file(asio::ip::tcp::socket& socket, const protocol::file_slice& s) {
  off_t offset = static_cast<off_t>(s.position);
  size_t remaining = s.length;
  socket.native_non_blocking(true);
  while (remaining > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), s.file->get(), &offset, remaining);
    if (n > 0) {
      remaining -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      co_await socket.async_wait(asio::ip::tcp::socket::wait_write, use_awaitable);
      continue;
    }
    // The file shrank under us (or the peer went away): the frame cannot be completed.
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> write_frame(asio::ip::tcp::socket& socket, encoded_message& m) {
  size_t pos = 0;
  for (const auto& sp : m.splices) {
    co_await asio::async_write(socket, asio::buffer(m.bytes.data() + pos, sp.at - pos),
                               use_awaitable);
    pos = sp.at;
    if (!co_await send_file(socket, sp.slice)) co_return false;
  }
  co_await asio::async_write(socket, asio::buffer(m.bytes.data() + pos, m.bytes.size() - pos),
                             use_awaitable);
  co_return true;
}

// Counts every non-zero error_code in a response: per partition, group or resource.
void count_errors(const protocol::struct_value& s, const api_handler& h, admin::broker_metrics& m) {
  const auto& fields = s.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& v = s.values()[i];
    if (fields[i].name == "error_code" && !v.is_null()) {
      if (const int64_t e = v.as_int(); e != 0)
        m.on_error(h.schema->key, h.schema->name,
                   protocol::error_name(static_cast<protocol::error_code>(e)));
    } else if (fields[i].is_struct_array() && !v.is_null()) {
      for (const auto& item : v.as_array()) count_errors(item.as_struct(), h, m);
    } else if (fields[i].type == protocol::field_type::structure) {
      count_errors(v.as_struct(), h, m);
    }
  }
}

// Frame: int32 size, correlation id, [tagged fields], body.
encoded_message frame(const protocol::api_schema& api, int16_t version, int32_t correlation_id,
                      const protocol::struct_value& body) {
  encoded_message m;
  protocol::byte_writer w(m.bytes);
  w.i32(0);
  w.i32(correlation_id);
  // Flexible responses use header v1, except ApiVersions, which always uses v0 so a client
  // can parse it before it knows which versions the broker speaks.
  if (api.response.flexible.contains(version) && api.key != kApiVersionsKey) w.uvarint(0);
  protocol::encode(api.response, version, body, m);
  protocol::byte_writer::put_i32_at(m.bytes, 0, static_cast<int32_t>(m.total_size() - 4));
  return m;
}

// ApiVersions at a version we do not know: a v0 response with UNSUPPORTED_VERSION and the
// ranges we do, so the client can retry (KIP-511).
encoded_message unsupported_api_versions(int32_t correlation_id) {
  const auto& api = protocol::messages::api_versions();
  protocol::struct_value body(api.response.fields);
  body["error_code"] = int64_t{protocol::wire(protocol::error_code::unsupported_version)};
  for (const auto& h : api_handlers()) {
    auto& k = body.add("api_keys");
    k["api_key"] = int64_t{h.schema->key};
    k["min_version"] = int64_t{h.advertised.min};
    k["max_version"] = int64_t{h.advertised.max};
  }
  return frame(api, 0, correlation_id, body);
}

// Produce requests on one connection are handled while earlier ones wait for replication
// (acks=-1), so a producer with several requests in flight keeps the followers busy instead
// of paying one replication round trip per request. Appends still happen in arrival order
// (the I/O thread runs each handler up to its first wait before reading on), responses are
// written in request order, and every other request waits until nothing is in flight, as
// with Kafka's one-request-at-a-time channel.
constexpr int16_t kProduceKey = 0;
constexpr int16_t kFetchKey = 1;
constexpr size_t kMaxProducesInFlight = 16;

struct pending_response {
  int16_t key;
  int16_t version;
  const api_handler* handler;
  std::chrono::steady_clock::time_point received;
  std::chrono::steady_clock::time_point started;
  bool done = false;
  std::optional<encoded_message> frame;  // none: nothing to send (acks=0)
};

struct connection_state {
  broker& b;
  std::shared_ptr<asio::ip::tcp::socket> socket;
  std::string peer;
  std::deque<std::shared_ptr<pending_response>> queue;  // in request order
  bool writing = false;
  bool failed = false;  // a write failed: the connection is closing
  data_signal changed;  // the queue shrank or a write failed
};

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void record_request(broker& b, const pending_response& r) {
  b.metrics().on_request(r.key, r.handler->schema->name, r.version,
                         seconds_between(r.received, r.started),
                         seconds_between(r.received, std::chrono::steady_clock::now()));
}

// Writes the finished responses at the head of the queue; one writer at a time.
asio::awaitable<void> write_ready(std::shared_ptr<connection_state> cs) {
  if (cs->writing) co_return;
  cs->writing = true;
  while (!cs->failed && !cs->queue.empty() && cs->queue.front()->done) {
    auto r = cs->queue.front();
    if (r->frame) {
      bool complete = false;
      try {
        complete = co_await write_frame(*cs->socket, *r->frame);
        if (!complete)
          spdlog::warn("closing connection from {}: a log file changed while sending", cs->peer);
      } catch (const boost::system::system_error& e) {
        spdlog::debug("connection from {}: write failed: {}", cs->peer, e.what());
      }
      if (!complete) {
        cs->failed = true;
        boost::system::error_code ec;
        cs->socket->close(ec);
        break;
      }
    }
    if (cs->b.metrics().enabled()) record_request(cs->b, *r);
    cs->queue.pop_front();
  }
  cs->writing = false;
  cs->changed.notify();
}

// Runs one handler and queues its framed response.
asio::awaitable<void> answer(std::shared_ptr<connection_state> cs,
                             std::shared_ptr<pending_response> r, request_context cx,
                             protocol::struct_value request) {
  try {
    r->started = std::chrono::steady_clock::now();
    auto response = co_await r->handler->handle(cx, request);
    if (response) {
      r->frame = frame(*r->handler->schema, r->version, cx.correlation_id, *response);
      if (cs->b.metrics().enabled()) count_errors(*response, *r->handler, cs->b.metrics());
    }
  } catch (const std::exception& e) {
    spdlog::error("closing connection from {}: {} failed: {}", cs->peer, r->handler->schema->name,
                  e.what());
    cs->failed = true;
    boost::system::error_code ec;
    cs->socket->close(ec);
  }
  r->done = true;
  co_await write_ready(cs);
}

asio::awaitable<void> wait_until_changed(connection_state& cs) {
  co_await cs.changed.wait_until(std::chrono::steady_clock::time_point::max());
}

}  // namespace

asio::awaitable<void> serve_connection(broker& b, std::shared_ptr<asio::ip::tcp::socket> socket,
                                       std::string listener) {
  b.track(socket);
  b.metrics().connection_opened();
  std::string peer = "?";
  boost::system::error_code ec;
  auto remote = socket->remote_endpoint(ec);
  if (!ec) peer = remote.address().to_string() + ":" + std::to_string(remote.port());
  socket->set_option(asio::ip::tcp::no_delay(true), ec);
  auto cs = std::make_shared<connection_state>(b, socket, peer);
  int32_t follower = -1;  // the replica fetching through this connection, if any

  try {
    for (;;) {
      char size_bytes[4];
      co_await asio::async_read(*socket, asio::buffer(size_bytes, 4), use_awaitable);
      const int32_t size = static_cast<int32_t>(protocol::load_be32(size_bytes));
      if (size < 8 || size > b.config().socket_request_max_bytes) {
        spdlog::warn(
            "closing connection from {}: request size {} is outside 8..{} "
            "(socket.request.max.bytes)",
            peer, size, b.config().socket_request_max_bytes);
        break;
      }
      // A buffer per request: large records are handled where they arrived (decode_in_place),
      // and a request may still be in flight when the next one is read.
      std::shared_ptr<char[]> body(new char[static_cast<size_t>(size)]);
      co_await asio::async_read(*socket, asio::buffer(body.get(), static_cast<size_t>(size)),
                                use_awaitable);
      const auto received = std::chrono::steady_clock::now();

      byte_reader in(std::string_view(body.get(), static_cast<size_t>(size)));
      const int16_t key = in.i16();
      const int16_t version = in.i16();
      const int32_t correlation_id = in.i32();
      const api_handler* handler = find_api_handler(key);
      if (handler == nullptr) {
        spdlog::warn("closing connection from {}: unknown API key {}", peer, key);
        break;
      }
      // Only a Produce may start while others (Produces: anything else is answered before
      // the next read) are in flight; anything else waits until the queue is empty.
      const size_t room = key == kProduceKey ? kMaxProducesInFlight : 1;
      while (!cs->failed && cs->queue.size() >= room) co_await wait_until_changed(*cs);
      if (cs->failed) break;
      if (!handler->advertised.contains(version)) {
        if (key == kApiVersionsKey) {
          auto m = unsupported_api_versions(correlation_id);
          co_await write_frame(*socket, m);
          continue;
        }
        spdlog::warn("closing connection from {}: {} v{} is not supported (v{}-{} are)", peer,
                     handler->schema->name, version, handler->advertised.min,
                     handler->advertised.max);
        break;
      }
      request_context cx{b, key, version, correlation_id, {}, peer, listener};
      protocol::struct_value request;
      try {
        // Header v1: nullable int16 client id; v2 adds tagged fields.
        const int16_t id_len = in.i16();
        if (id_len >= 0) cx.client_id = std::string(in.take(static_cast<size_t>(id_len)));
        if (handler->schema->request.flexible.contains(version)) {
          const uint32_t tags = in.uvarint32();
          for (uint32_t t = 0; t < tags; ++t) {
            in.uvarint32();
            in.skip(in.uvarint32());
          }
        }
        request = protocol::decode_in_place(handler->schema->request, version, in, body);
      } catch (const protocol::malformed_input& e) {
        spdlog::warn("closing connection from {}: malformed {} v{} request: {}", peer,
                     handler->schema->name, version, e.what());
        break;
      }
      if (key == kFetchKey) follower = static_cast<int32_t>(request.integer("replica_id"));
      auto r = std::make_shared<pending_response>(key, version, handler, received);
      cs->queue.push_back(r);
      auto answering = answer(cs, r, std::move(cx), std::move(request));
      if (key == kProduceKey) {
        // Spawned handlers start in the order they were spawned (the I/O thread runs posted
        // work first in, first out), so appends keep the order of the requests.
        asio::co_spawn(socket->get_executor(), std::move(answering), asio::detached);
      } else {
        co_await std::move(answering);
      }
    }
  } catch (const protocol::malformed_input& e) {
    spdlog::warn("closing connection from {}: malformed request header: {}", peer, e.what());
  } catch (const boost::system::system_error& e) {
    // The peer closed or reset the connection, or the broker is stopping.
    if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
        e.code() != asio::error::connection_reset)
      spdlog::debug("connection from {} ended: {}", peer, e.what());
  }
  // Requests already read are still answered (a peer may close its sending side only).
  while (!cs->failed && !cs->queue.empty() && socket->is_open()) co_await wait_until_changed(*cs);
  socket->close(ec);
  if (follower >= 0 && b.replicas() != nullptr) b.replicas()->follower_disconnected(follower);
  b.untrack(socket);
  b.metrics().connection_closed();
}

}  // namespace tern::server
