// Test client over plain sockets: requests are written by hand and responses parsed with just
// enough HTTP/1.1 (Content-Length and chunked bodies) to check what the double sends, including
// a chunked stream cut short.
#include "operator/testing/kube_api_double_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace tern::kube_double::test {

namespace {

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("connect");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send");
    off += static_cast<size_t>(n);
  }
}

// Reads until `buf` holds the end of the header; returns the header, leaves the rest in buf.
std::string read_header(int fd, std::string& buf) {
  for (;;) {
    auto end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string header = buf.substr(0, end + 4);
      buf.erase(0, end + 4);
      return header;
    }
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) throw std::runtime_error("connection closed before the response header");
    buf.append(tmp, static_cast<size_t>(n));
  }
}

std::string header_value(const std::string& header, std::string name) {
  std::string lower = header;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto pos = lower.find("\r\n" + name + ":");
  if (pos == std::string::npos) return {};
  pos += name.size() + 3;
  auto end = header.find("\r\n", pos);
  std::string v = header.substr(pos, end - pos);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

int status_of(const std::string& header) {
  auto sp = header.find(' ');
  return std::stoi(header.substr(sp + 1, 3));
}

std::string request_text(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& content_type,
                         const std::string& authorization = "") {
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n";
  if (!authorization.empty()) req += "Authorization: " + authorization + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  return req;
}

// Decodes as many whole chunks as `buf` holds. Returns false once the last chunk is seen.
bool decode_chunks(std::string& buf, std::string& out) {
  for (;;) {
    auto eol = buf.find("\r\n");
    if (eol == std::string::npos) return true;
    size_t size = std::stoul(buf.substr(0, eol), nullptr, 16);
    if (size == 0) return false;
    if (buf.size() < eol + 2 + size + 2) return true;
    out += buf.substr(eol + 2, size);
    buf.erase(0, eol + 2 + size + 2);
  }
}

}  // namespace

http_result http_call(uint16_t port, const std::string& method, const std::string& target,
                      const json& body, const std::string& content_type,
                      const std::string& authorization) {
  int fd = connect_to(port);
  http_result result;
  try {
    write_all(fd,
              request_text(
                  method, target,
                  body.is_null() ? "" : (body.is_string() ? body.get<std::string>() : body.dump()),
                  content_type, authorization));
    std::string buf;
    const std::string header = read_header(fd, buf);
    result.status = status_of(header);
    result.content_type = header_value(header, "Content-Type");
    const std::string length = header_value(header, "Content-Length");
    const bool chunked = header_value(header, "Transfer-Encoding") == "chunked";
    std::string decoded;
    for (;;) {
      if (!length.empty() && buf.size() >= std::stoul(length)) {
        decoded = buf.substr(0, std::stoul(length));
        break;
      }
      if (chunked && !decode_chunks(buf, decoded)) break;
      char tmp[4096];
      ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n <= 0) {
        if (!chunked) decoded = buf;
        break;
      }
      buf.append(tmp, static_cast<size_t>(n));
    }
    result.text = decoded;
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (result.content_type.find("json") != std::string::npos && !result.text.empty())
    result.body = json::parse(result.text, nullptr, false);
  return result;
}

watch_reader::watch_reader(uint16_t port, const std::string& target) {
  fd_ = connect_to(port);
  write_all(fd_, request_text("GET", target, "", ""));
  const std::string header = read_header(fd_, leftover_);
  status_ = status_of(header);
  reader_ = std::thread([this] { read_loop(); });
}

watch_reader::~watch_reader() {
  close();
}

void watch_reader::close() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void watch_reader::read_loop() {
  std::string raw = std::move(leftover_);
  std::string data;
  bool more = true;
  for (;;) {
    more = decode_chunks(raw, data);
    {
      std::lock_guard lock(mutex_);
      for (auto nl = data.find('\n'); nl != std::string::npos; nl = data.find('\n')) {
        events_.push_back(json::parse(data.substr(0, nl), nullptr, false));
        data.erase(0, nl + 1);
      }
      if (!more) ending_ = ending::clean;
    }
    cv_.notify_all();
    if (!more) return;
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      std::lock_guard lock(mutex_);
      ending_ = ending::abrupt;
      cv_.notify_all();
      return;
    }
    raw.append(tmp, static_cast<size_t>(n));
  }
}

std::optional<json> watch_reader::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return !events_.empty() || ending_ != ending::open; });
  if (events_.empty()) return std::nullopt;
  json e = std::move(events_.front());
  events_.pop_front();
  return e;
}

watch_reader::ending watch_reader::wait_end(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return ending_ != ending::open; });
  return ending_;
}

}  // namespace tern::kube_double::test
