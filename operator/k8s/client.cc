// The Kubernetes API client: cpprestsdk requests, Status-to-api_error mapping, paged lists,
// line-by-line watch streams, token file rotation and TLS settings.
#define _TURN_OFF_PLATFORM_STRING  // cpprestsdk's U() macro breaks Boost headers
#include "operator/k8s/client.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ssl.hpp>

namespace tern::op::k8s {
namespace {

namespace http = web::http;
namespace fs = std::filesystem;
using json = nlohmann::json;
using clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::chrono::seconds kTokenRefresh{60};

std::string reason_for(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return {};
  }
}

api_error error_from(int status, const std::string& body) {
  api_error e;
  e.status = status;
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.value("kind", "") == "Status") {
    if (j["reason"].is_string()) e.reason = j["reason"];
    if (j["message"].is_string()) e.message = j["message"];
  } else {
    e.message = body.substr(0, 512);
  }
  if (e.reason.empty()) e.reason = reason_for(status);
  return e;
}

void append_query(std::string& target, std::string_view key, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += web::uri::encode_data_string(std::string(value));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  return t;
}

std::string content_type_of(patch_type t) {
  switch (t) {
    case patch_type::merge:
      return "application/merge-patch+json";
    case patch_type::json:
      return "application/json-patch+json";
    case patch_type::strategic:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

struct raw_response {
  int status = 0;
  std::string body;
};

}  // namespace

std::string api_error::to_string() const {
  if (status == 0) return "transport error: " + message;
  return std::to_string(status) + " " + reason + ": " + message;
}

struct client::impl {
  connection conn;
  std::atomic<int> page_size{500};
  std::unique_ptr<http::client::http_client> http;  // null when `conn.server` is unusable
  std::string setup_error;

  std::mutex token_mu;
  std::string token;
  std::optional<fs::file_time_type> token_mtime;
  clock::time_point token_read_at{};

  explicit impl(connection c) : conn(std::move(c)), token(conn.token) {
    try {
      http = std::make_unique<http::client::http_client>(conn.server, make_config(kRequestTimeout));
    } catch (const std::exception& e) {
      setup_error = "cannot use API server address '" + conn.server + "': " + e.what();
    }
  }

  http::client::http_client_config make_config(std::chrono::seconds timeout) const {
    http::client::http_client_config cfg;
    cfg.set_timeout(timeout);
    if (conn.insecure_skip_tls_verify) cfg.set_validate_certificates(false);
    connection c = conn;  // the callback may outlive a moved-from impl
    cfg.set_ssl_context_callback([c](boost::asio::ssl::context& ctx) {
      // Throws boost::system::system_error on bad PEM: the request fails with that message.
      if (!c.ca_file.empty()) ctx.load_verify_file(c.ca_file);
      if (!c.ca_data.empty()) ctx.add_certificate_authority(boost::asio::buffer(c.ca_data));
      if (!c.client_cert_file.empty()) ctx.use_certificate_chain_file(c.client_cert_file);
      if (!c.client_cert_data.empty())
        ctx.use_certificate_chain(boost::asio::buffer(c.client_cert_data));
      if (!c.client_key_file.empty())
        ctx.use_private_key_file(c.client_key_file, boost::asio::ssl::context::pem);
      if (!c.client_key_data.empty())
        ctx.use_private_key(boost::asio::buffer(c.client_key_data), boost::asio::ssl::context::pem);
    });
    return cfg;
  }

  // The bearer token to send. A token file is re-read when its mtime changes, at least every
  // minute, and when `force` (after a 401).
  std::string bearer(bool force) {
    std::lock_guard lock(token_mu);
    if (conn.token_file.empty()) return token;
    std::error_code ec;
    auto mtime = fs::last_write_time(conn.token_file, ec);
    const auto now = clock::now();
    if (force || ec || !token_mtime || mtime != *token_mtime ||
        now - token_read_at >= kTokenRefresh) {
      std::string t = read_text(conn.token_file);
      if (!t.empty())
        token = std::move(t);
      else
        spdlog::warn("kubernetes token file {} is empty or unreadable", conn.token_file);
      if (!ec) token_mtime = mtime;
      token_read_at = now;
    }
    return token;
  }

  bool can_refresh_token() const { return !conn.token_file.empty(); }

  http::http_request make_request(const http::method& m, const std::string& target,
                                  bool force_token) {
    http::http_request req(m);
    req.set_request_uri(target);
    if (auto t = bearer(force_token); !t.empty()) req.headers().add("Authorization", "Bearer " + t);
    req.headers().add("Accept", "application/json");
    return req;
  }

  result<raw_response> send(const http::method& m, const std::string& target,
                            const std::optional<std::string>& body = std::nullopt,
                            const std::string& content_type = "application/json") {
    if (!http) return std::unexpected(api_error{0, "", setup_error});
    for (int attempt = 0;; ++attempt) {
      auto req = make_request(m, target, attempt > 0);
      if (body) req.set_body(*body, content_type);
      try {
        auto resp = http->request(req).get();
        raw_response r{resp.status_code(), resp.extract_utf8string(true).get()};
        if (r.status == 401 && attempt == 0 && can_refresh_token()) continue;
        return r;
      } catch (const std::exception& e) {
        return std::unexpected(api_error{0, "", m + " " + target + ": " + e.what()});
      }
    }
  }

  result<json> send_json(const http::method& m, const std::string& target,
                         const std::optional<json>& body = std::nullopt,
                         const std::string& content_type = "application/json") {
    std::optional<std::string> text;
    if (body) text = body->dump();
    auto r = send(m, target, text, content_type);
    if (!r) return std::unexpected(r.error());
    if (r->status < 200 || r->status >= 300) return std::unexpected(error_from(r->status, r->body));
    if (r->body.empty()) return json::object();
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded())
      return std::unexpected(
          api_error{r->status, "", "the API server's answer to " + target + " is not JSON"});
    return j;
  }
};

client::client(connection c) : impl_(std::make_unique<impl>(std::move(c))) {}
client::~client() = default;

const connection& client::config() const {
  return impl_->conn;
}
void client::set_page_size(int items) {
  impl_->page_size = items;
}

result<json> client::get(const resource& r, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  return impl_->send_json(http::methods::GET, r.path(ns, name, subresource));
}

result<json> client::list(const resource& r, std::string_view ns, std::string_view label_selector) {
  json out;
  json items = json::array();
  std::string cont;
  bool paged = true;
  for (;;) {
    std::string target = r.path(ns);
    if (!label_selector.empty()) append_query(target, "labelSelector", label_selector);
    if (paged) append_query(target, "limit", std::to_string(impl_->page_size.load()));
    if (!cont.empty()) append_query(target, "continue", cont);
    auto page = impl_->send_json(http::methods::GET, target);
    if (!page) {
      if (page.error().gone() && !cont.empty()) {
        // The continue token expired mid-list: as client-go does, list again in one piece.
        spdlog::info("list of {} expired between pages; listing again without pages", r.plural);
        paged = false;
        cont.clear();
        items = json::array();
        out = nullptr;
        continue;
      }
      return std::unexpected(page.error());
    }
    if (out.is_null()) {
      out = *page;
      out.erase("items");
    }
    if (auto it = page->find("items"); it != page->end() && it->is_array())
      for (auto& item : *it) items.push_back(std::move(item));
    const json& meta = (*page)["metadata"];
    cont = meta.is_object() ? meta.value("continue", "") : "";
    if (cont.empty() || !paged) break;
  }
  if (!out.is_object()) out = json::object();
  if (!out["metadata"].is_object()) out["metadata"] = json::object();
  out["metadata"].erase("continue");
  out["metadata"].erase("remainingItemCount");
  out["items"] = std::move(items);
  return out;
}

result<json> client::create(const resource& r, std::string_view ns, const json& object) {
  return impl_->send_json(http::methods::POST, r.path(ns), object);
}

result<json> client::update(const resource& r, std::string_view ns, std::string_view name,
                            const json& object, std::string_view subresource) {
  return impl_->send_json(http::methods::PUT, r.path(ns, name, subresource), object);
}

result<json> client::patch(const resource& r, std::string_view ns, std::string_view name,
                           const json& patch, patch_type type, std::string_view subresource) {
  return impl_->send_json(http::methods::PATCH, r.path(ns, name, subresource), patch,
                          content_type_of(type));
}

result<void> client::remove(const resource& r, std::string_view ns, std::string_view name,
                            std::string_view propagation) {
  std::optional<json> options;
  if (!propagation.empty())
    options = json{{"kind", "DeleteOptions"},
                   {"apiVersion", "v1"},
                   {"propagationPolicy", std::string(propagation)}};
  auto res = impl_->send_json(http::methods::DEL, r.path(ns, name), options);
  if (!res) return std::unexpected(res.error());
  return {};
}

watch_end client::watch(
    const resource& r, std::string_view ns, std::string_view resource_version,
    std::string_view label_selector, int timeout_seconds,
    const std::function<void(std::string_view type, const json& object)>& on_event,
    std::stop_token stop) {
  if (!impl_->http) {
    spdlog::warn("watch {}: {}", r.plural, impl_->setup_error);
    return watch_end::error;
  }
  if (stop.stop_requested()) return watch_end::stopped;
  std::string target = r.path(ns);
  append_query(target, "watch", "1");
  append_query(target, "allowWatchBookmarks", "true");
  if (!resource_version.empty()) append_query(target, "resourceVersion", resource_version);
  if (!label_selector.empty()) append_query(target, "labelSelector", label_selector);
  if (timeout_seconds > 0) append_query(target, "timeoutSeconds", std::to_string(timeout_seconds));

  // Cancelling closes the connection, which also ends a read_line() waiting on the body.
  pplx::cancellation_token_source cancel;
  std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });
  struct cancel_on_exit {
    pplx::cancellation_token_source& c;
    ~cancel_on_exit() { c.cancel(); }
  } guard{cancel};

  // The idle timer of cpprestsdk must not fire before the server's own timeout does.
  const auto idle = std::chrono::seconds(std::max(timeout_seconds, 0)) + kRequestTimeout;
  std::unique_ptr<http::client::http_client> http;
  try {
    http =
        std::make_unique<http::client::http_client>(impl_->conn.server, impl_->make_config(idle));
  } catch (const std::exception& e) {
    spdlog::warn("watch {}: {}", r.plural, e.what());
    return watch_end::error;
  }

  for (int attempt = 0;; ++attempt) {
    auto req = impl_->make_request(http::methods::GET, target, attempt > 0);
    http::http_response resp;
    try {
      resp = http->request(req, cancel.get_token()).get();
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return watch_end::stopped;
      spdlog::debug("watch {} failed: {}", target, e.what());
      return watch_end::error;
    }
    const int status = resp.status_code();
    if (status == 401 && attempt == 0 && impl_->can_refresh_token()) continue;
    if (status == 410) return watch_end::gone;
    if (status != 200) {
      std::string body;
      try {
        body = resp.extract_utf8string(true).get();
      } catch (const std::exception&) {
      }
      spdlog::warn("watch {}: {}", target, error_from(status, body).to_string());
      return watch_end::error;
    }
    auto stream = resp.body();
    for (;;) {
      concurrency::streams::container_buffer<std::string> line_buf;
      try {
        stream.read_line(line_buf).get();
      } catch (const std::exception& e) {
        // A connection cut mid-stream is how servers end watches too: re-watch at once.
        if (stop.stop_requested()) return watch_end::stopped;
        spdlog::debug("watch {} stream ended: {}", target, e.what());
        return watch_end::closed;
      }
      if (stop.stop_requested()) return watch_end::stopped;
      std::string line = std::move(line_buf.collection());
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
      if (line.empty()) {
        if (stream.is_eof()) return watch_end::closed;
        continue;
      }
      json event = json::parse(line, nullptr, false);
      if (!event.is_object() || !event["type"].is_string()) {
        spdlog::warn("watch {}: cannot parse event '{}'", target, line.substr(0, 200));
        return watch_end::error;
      }
      const std::string type = event["type"];
      const json& object = event["object"];
      if (type == "ERROR") {
        const int code = object.is_object() ? object.value("code", 0) : 0;
        if (code == 410) return watch_end::gone;
        spdlog::warn("watch {}: ERROR event {}", target, object.dump());
        return watch_end::error;
      }
      on_event(type, object);
    }
  }
}

}  // namespace tern::op::k8s
