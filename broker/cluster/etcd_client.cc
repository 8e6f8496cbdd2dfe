// etcd v3 gateway calls over cpprestsdk, JSON through nlohmann::json.
#define _TURN_OFF_PLATFORM_STRING  // cpprestsdk's U() macro breaks Boost headers
#include "broker/cluster/etcd_client.h"
#include "broker/cluster/etcd_keys.h"

#include <cpprest/asyncrt_utils.h>
#include <cpprest/http_client.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace tern::cluster {

namespace {

using nlohmann::json;

// etcd's gateway renders int64 fields as JSON strings.
int64_t as_int(const json& j, const char* name) {
  if (!j.contains(name)) return 0;
  const auto& v = j.at(name);
  if (v.is_string()) return std::stoll(v.get<std::string>());
  return v.get<int64_t>();
}

etcd_kv parse_kv(const json& j) {
  etcd_kv kv;
  kv.key = etcd_unbase64(j.value("key", ""));
  kv.value = etcd_unbase64(j.value("value", ""));
  kv.create_revision = as_int(j, "create_revision");
  kv.mod_revision = as_int(j, "mod_revision");
  kv.version = as_int(j, "version");
  kv.lease = as_int(j, "lease");
  return kv;
}

}  // namespace

std::string etcd_base64(const std::string& bytes) {
  return utility::conversions::to_base64(std::vector<unsigned char>(bytes.begin(), bytes.end()));
}

std::string etcd_unbase64(const std::string& text) {
  auto bytes = utility::conversions::from_base64(text);
  return std::string(bytes.begin(), bytes.end());
}

std::string etcd_prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

struct etcd_client::impl {
  std::vector<std::string> endpoints;
  std::chrono::milliseconds timeout;
  size_t current = 0;

  std::expected<json, std::string> call(const std::string& path, const json& body) {
    std::string last_error;
    for (size_t attempt = 0; attempt < endpoints.size(); ++attempt) {
      const std::string& ep = endpoints[(current + attempt) % endpoints.size()];
      try {
        web::http::client::http_client_config cfg;
        cfg.set_timeout(timeout);
        web::http::client::http_client client("http://" + ep, cfg);
        web::http::http_request req(web::http::methods::POST);
        req.set_request_uri(path);
        req.set_body(body.dump(), "application/json");
        auto resp = client.request(req).get();
        const std::string text = resp.extract_string().get();
        json out = text.empty() ? json::object() : json::parse(text);
        if (resp.status_code() != web::http::status_codes::OK) {
          // A real answer from etcd: report it rather than trying another member.
          return std::unexpected("etcd " + path + ": HTTP " + std::to_string(resp.status_code()) +
                                 ": " + out.value("message", out.value("error", text)));
        }
        current = (current + attempt) % endpoints.size();
        return out;
      } catch (const std::exception& e) {
        last_error = ep + ": " + e.what();
      }
    }
    return std::unexpected("etcd unreachable: " + last_error);
  }

  // One transaction: `operation` runs only if `key`'s mod_revision is still `expected` (0: the
  // key must not exist). Returns whether it ran.
  std::expected<bool, std::string> transact_if_unchanged(const std::string& key, int64_t expected,
                                                         const json& operation) {
    json body = {
        {"compare",
         {{{"key", etcd_base64(key)},
           {"target", "MOD"},
           {"result", "EQUAL"},
           {"mod_revision", std::to_string(expected)}}}},
        {"success", json::array({operation})},
    };
    auto r = call("/v3/kv/txn", body);
    if (!r) return std::unexpected(r.error());
    return r->value("succeeded", false);
  }
};

etcd_client::etcd_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
etcd_client::~etcd_client() = default;

std::expected<std::unique_ptr<etcd_client>, std::string> etcd_client::connect(
    const std::string& endpoints, std::chrono::milliseconds timeout) {
  auto p = std::make_unique<impl>();
  p->timeout = timeout;
  std::stringstream in(endpoints);
  for (std::string ep; std::getline(in, ep, ',');) {
    if (ep.starts_with("http://")) ep = ep.substr(7);
    if (!ep.empty()) p->endpoints.push_back(ep);
  }
  if (p->endpoints.empty()) return std::unexpected("no etcd endpoints in '" + endpoints + "'");
  std::unique_ptr<etcd_client> c(new etcd_client(std::move(p)));
  // One cheap read proves an endpoint answers.
  if (auto r = c->get("/tern/ping"); !r) return std::unexpected(r.error());
  return c;
}

std::expected<int64_t, std::string> etcd_client::put(const std::string& key,
                                                     const std::string& value, int64_t lease) {
  json body = {{"key", etcd_base64(key)}, {"value", etcd_base64(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  auto r = impl_->call("/v3/kv/put", body);
  if (!r) return std::unexpected(r.error());
  return as_int((*r)["header"], "revision");
}

std::expected<std::optional<etcd_kv>, std::string> etcd_client::get(const std::string& key) {
  auto r = impl_->call("/v3/kv/range", {{"key", etcd_base64(key)}});
  if (!r) return std::unexpected(r.error());
  if (!r->contains("kvs") || (*r)["kvs"].empty()) return std::optional<etcd_kv>{};
  return std::optional<etcd_kv>{parse_kv((*r)["kvs"][0])};
}

std::expected<etcd_range, std::string> etcd_client::get_prefix(const std::string& prefix) {
  auto r = impl_->call("/v3/kv/range", {{"key", etcd_base64(prefix)},
                                        {"range_end", etcd_base64(etcd_prefix_end(prefix))}});
  if (!r) return std::unexpected(r.error());
  etcd_range out;
  out.revision = as_int((*r)["header"], "revision");
  if (r->contains("kvs"))
    for (const auto& kv : (*r)["kvs"]) out.kvs.push_back(parse_kv(kv));
  return out;
}

std::expected<int64_t, std::string> etcd_client::remove(const std::string& key) {
  auto r = impl_->call("/v3/kv/deleterange", {{"key", etcd_base64(key)}});
  if (!r) return std::unexpected(r.error());
  return as_int(*r, "deleted");
}

std::expected<bool, std::string> etcd_client::compare_and_put(const std::string& key,
                                                              int64_t expected_mod_revision,
                                                              const std::string& value,
                                                              int64_t lease) {
  json put = {{"key", etcd_base64(key)}, {"value", etcd_base64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  return impl_->transact_if_unchanged(key, expected_mod_revision, {{"request_put", put}});
}

std::expected<bool, std::string> etcd_client::compare_and_delete(const std::string& key,
                                                                 int64_t expected_mod_revision) {
  return impl_->transact_if_unchanged(key, expected_mod_revision,
                                      {{"request_delete_range", {{"key", etcd_base64(key)}}}});
}

std::expected<int64_t, std::string> etcd_client::revision() {
  auto r = impl_->call("/v3/kv/range", {{"key", etcd_base64("/")}, {"count_only", true}});
  if (!r) return std::unexpected(r.error());
  return as_int((*r)["header"], "revision");
}

std::expected<int64_t, std::string> etcd_client::grant_lease(std::chrono::seconds ttl) {
  auto r = impl_->call("/v3/lease/grant", {{"TTL", std::to_string(ttl.count())}});
  if (!r) return std::unexpected(r.error());
  if (r->contains("error") && !(*r)["error"].get<std::string>().empty())
    return std::unexpected("lease grant: " + (*r)["error"].get<std::string>());
  return as_int(*r, "ID");
}

std::expected<int64_t, std::string> etcd_client::keep_alive(int64_t lease) {
  auto r = impl_->call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
  if (!r) return std::unexpected(r.error());
  // The gateway streams one {"result": {...}} per keep-alive; an expired lease has no TTL.
  const json& result = r->contains("result") ? (*r)["result"] : *r;
  const int64_t ttl = as_int(result, "TTL");
  if (ttl <= 0) return std::unexpected("lease " + std::to_string(lease) + " has expired");
  return ttl;
}

std::expected<void, std::string> etcd_client::revoke(int64_t lease) {
  auto r = impl_->call("/v3/lease/revoke", {{"ID", std::to_string(lease)}});
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace tern::cluster
