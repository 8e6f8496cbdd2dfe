// The watch's thread: one HTTP/1.1 stream at a time, its chunks read as they arrive with
// Beast and split into the gateway's newline-separated JSON messages.
#include "broker/cluster/etcd_watch.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "broker/cluster/etcd_keys.h"

namespace tern::cluster {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

constexpr auto kRetryPause = std::chrono::milliseconds(500);

}  // namespace

etcd_watch::etcd_watch(const std::string& endpoints, std::string prefix,
                       std::function<void()> on_change)
    : prefix_(std::move(prefix)), on_change_(std::move(on_change)) {
  std::stringstream in(endpoints);
  for (std::string ep; std::getline(in, ep, ',');) {
    if (ep.starts_with("http://")) ep = ep.substr(7);
    if (!ep.empty()) endpoints_.push_back(ep);
  }
  thread_ = std::thread([this] { run(); });
}

etcd_watch::~etcd_watch() {
  stopping_ = true;
  {
    // Ends a read in progress: shutdown is safe from another thread, unlike closing.
    std::lock_guard lock(socket_mutex_);
    if (socket_fd_ >= 0) ::shutdown(socket_fd_, SHUT_RDWR);
  }
  if (thread_.joinable()) thread_.join();
}

void etcd_watch::run() {
  for (size_t attempt = 0; !stopping_ && !endpoints_.empty(); ++attempt) {
    const std::string& endpoint = endpoints_[attempt % endpoints_.size()];
    const std::string why = stream_from(endpoint);
    if (stopping_) return;
    spdlog::debug("etcd watch through {} ended ({}); polling covers changes meanwhile", endpoint,
                  why);
    const auto until = std::chrono::steady_clock::now() + kRetryPause;
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string etcd_watch::stream_from(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return "no port in " + endpoint;
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(ioc);
  auto addresses = resolver.resolve(endpoint.substr(0, colon), endpoint.substr(colon + 1), ec);
  if (ec) return ec.message();
  asio::connect(socket, addresses, ec);
  if (ec) return ec.message();
  {
    std::lock_guard lock(socket_mutex_);
    if (stopping_) return "stopping";
    socket_fd_ = socket.native_handle();
  }
  // Declared after the socket, so it forgets the descriptor before the socket closes it.
  struct forget_socket {
    etcd_watch& w;
    ~forget_socket() {
      std::lock_guard lock(w.socket_mutex_);
      w.socket_fd_ = -1;
    }
  } forget{*this};

  const json body = {
      {"create_request",
       {{"key", etcd_base64(prefix_)}, {"range_end", etcd_base64(etcd_prefix_end(prefix_))}}}};
  http::request<http::string_body> request{http::verb::post, "/v3/watch", 11};
  request.set(http::field::host, endpoint);
  request.set(http::field::content_type, "application/json");
  request.body() = body.dump();
  request.prepare_payload();
  http::write(socket, request, ec);
  if (ec) return ec.message();

  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // a stream has no end
  http::read_header(socket, buffer, parser, ec);
  if (ec) return ec.message();
  if (parser.get().result() != http::status::ok)
    return "HTTP " + std::to_string(parser.get().result_int());

  // Returns why the stream must end, or nullopt to go on.
  auto handle = [&](std::string_view text) -> std::optional<std::string> {
    const json message = json::parse(text, nullptr, false);
    if (message.is_discarded()) return std::nullopt;
    if (message.contains("error")) return "etcd: " + message["error"].dump();
    const json& result = message.contains("result") ? message["result"] : message;
    if (result.value("canceled", false))
      return "watch canceled: " + result.value("cancel_reason", std::string());
    if (result.value("created", false)) {
      ++streams_;
      on_change_();  // whatever changed while no stream was open
    } else if (result.contains("events") && !result["events"].empty()) {
      on_change_();
    }
    return std::nullopt;
  };

  std::string pending;
  char chunk[16384];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read_some(socket, buffer, parser, ec);  // returns with what has arrived
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return ec.message();
    pending.append(chunk, sizeof chunk - parser.get().body().size);
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      auto stop = handle(std::string_view(pending).substr(0, end));
      pending.erase(0, end + 1);
      if (stop) return *stop;
    }
    // A message without its newline yet may still be whole.
    if (!pending.empty() && json::accept(pending)) {
      auto stop = handle(pending);
      pending.clear();
      if (stop) return *stop;
    }
  }
  return "the stream ended";
}

}  // namespace tern::cluster
