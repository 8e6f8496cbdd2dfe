// The client's TLS settings against a small Boost.Asio TLS server with a throw-away
// self-signed certificate for 127.0.0.1: CA from data or file, no CA, insecure, client certs.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "operator/k8s/client.h"

namespace tern::op::k8s {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct key_and_cert {
  std::string key_pem, cert_pem;
};

// A self-signed certificate for IP 127.0.0.1 that is also its own CA.
key_and_cert make_self_signed() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tern-test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto to_string = [](BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(b);
    return s;
  };
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  key_and_cert out{to_string(kb), to_string(cb)};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

// Answers every request with a fixed JSON object, one request per connection.
class tls_server {
 public:
  tls_server(const key_and_cert& kc, bool require_client_cert) {
    ctx_.use_certificate_chain(asio::buffer(kc.cert_pem));
    ctx_.use_private_key(asio::buffer(kc.key_pem), ssl::context::pem);
    if (require_client_cert) {
      ctx_.add_certificate_authority(asio::buffer(kc.cert_pem));
      ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    thread_ = std::jthread([this] { serve(); });
  }
  ~tls_server() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect({asio::ip::address_v4::loopback(), port()}, ec);  // wakes accept()
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port()); }
  int served() const { return served_.load(); }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      ssl::stream<tcp::socket&> stream(socket, ctx_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;
      std::string request;
      asio::read_until(stream, asio::dynamic_buffer(request), "\r\n\r\n", ec);
      if (ec) continue;
      const std::string body = R"({"kind":"ConfigMap","metadata":{"name":"over-tls"}})";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      asio::write(stream, asio::buffer(response), ec);
      if (!ec) ++served_;
      stream.shutdown(ec);
    }
  }

  asio::io_context io_;
  ssl::context ctx_{ssl::context::tls_server};
  tcp::acceptor acceptor_{io_, {asio::ip::address_v4::loopback(), 0}};
  std::atomic<bool> stopping_{false};
  std::atomic<int> served_{0};
  std::jthread thread_;
};

bool can_get(const connection& conn) {
  client c(conn);
  auto r = c.get(resources::config_maps, "default", "over-tls");
  return r && (*r)["metadata"]["name"] == "over-tls";
}

TEST(ClientTls, VerifiesTheServerWithTheGivenCa) {
  const auto kc = make_self_signed();
  tls_server server(kc, false);
  connection conn;
  conn.server = server.url();
  EXPECT_FALSE(can_get(conn));  // the system's CAs do not know this certificate

  conn.ca_data = kc.cert_pem;
  EXPECT_TRUE(can_get(conn));

  const auto file = std::filesystem::temp_directory_path() /
                    ("tern-k8s-ca-" + std::to_string(::getpid()) + ".crt");
  std::ofstream(file) << kc.cert_pem;
  connection from_file;
  from_file.server = server.url();
  from_file.ca_file = file.string();
  EXPECT_TRUE(can_get(from_file));
  std::filesystem::remove(file);

  connection wrong_ca;
  wrong_ca.server = server.url();
  wrong_ca.ca_data = make_self_signed().cert_pem;
  client c(wrong_ca);
  auto r = c.get(resources::config_maps, "default", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 0);
}

TEST(ClientTls, InsecureSkipsVerification) {
  const auto kc = make_self_signed();
  tls_server server(kc, false);
  connection conn;
  conn.server = server.url();
  conn.insecure_skip_tls_verify = true;
  EXPECT_TRUE(can_get(conn));
  EXPECT_EQ(server.served(), 1);
}

TEST(ClientTls, PresentsTheClientCertificate) {
  const auto kc = make_self_signed();
  tls_server server(kc, true);
  connection conn;
  conn.server = server.url();
  conn.ca_data = kc.cert_pem;
  EXPECT_FALSE(can_get(conn));  // the server insists on a client certificate
  conn.client_cert_data = kc.cert_pem;
  conn.client_key_data = kc.key_pem;
  EXPECT_TRUE(can_get(conn));
}

}  // namespace
}  // namespace tern::op::k8s
