// Connection discovery: kubeconfig (yaml-cpp) and in-cluster service account.
#include "operator/k8s/connection.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

namespace tern::op::k8s {
namespace fs = std::filesystem;
namespace {

std::expected<std::string, std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::expected<std::string, std::string> base64_decode(const std::string& in,
                                                      const std::string& what) {
  std::string clean;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  if (clean.size() % 4 != 0) return std::unexpected(what + " is not valid base64");
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return std::unexpected(what + " is not valid base64");
  size_t pad = 0;
  if (!clean.empty() && clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The `field` of the entry named `name` in a kubeconfig list ("clusters", "users",
// "contexts"); nullopt when there is no such entry. A missing field reads as an empty map.
std::optional<YAML::Node> find_named(const YAML::Node& root, const char* list,
                                     const std::string& name, const char* field) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return std::nullopt;
  for (const auto& e : entries) {
    if (!e.IsMap() || !e["name"] || e["name"].as<std::string>() != name) continue;
    const YAML::Node f = e[field];
    if (!f || f.IsNull()) return YAML::Node(YAML::NodeType::Map);
    return f;
  }
  return std::nullopt;
}

std::string str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap() || !n[key] || n[key].IsNull()) return {};
  return n[key].as<std::string>();
}

std::string resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  return path.is_absolute() ? p : (base / path).lexically_normal().string();
}

}  // namespace

std::expected<connection, std::string> in_cluster_connection(
    const std::string& service_account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return std::unexpected(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not "
        "set (use --kubeconfig or $KUBECONFIG)");
  const fs::path dir(service_account_dir);
  connection c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + port;
  c.token_file = (dir / "token").string();
  auto token = read_file(c.token_file);
  if (!token) return std::unexpected("in-cluster service account token: " + token.error());
  if (trim(*token).empty())
    return std::unexpected("in-cluster service account token " + c.token_file + " is empty");
  c.ca_file = (dir / "ca.crt").string();
  if (!fs::exists(c.ca_file))
    return std::unexpected("in-cluster CA certificate " + c.ca_file + " does not exist");
  auto ns = read_file(dir / "namespace");
  c.ns = ns ? trim(*ns) : "";
  if (c.ns.empty()) c.ns = "default";
  return c;
}

std::expected<connection, std::string> kubeconfig_connection(const std::string& path,
                                                             const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return std::unexpected("kubeconfig " + path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    return std::unexpected("kubeconfig " + path + ": " + e.what());
  }
  const std::string where = "kubeconfig " + path + ": ";
  try {
    if (!root.IsMap()) return std::unexpected(where + "not a YAML mapping");
    const fs::path base = fs::absolute(fs::path(path)).parent_path();
    std::string ctx_name = context.empty() ? str(root, "current-context") : context;
    if (ctx_name.empty())
      return std::unexpected(where + "no current-context is set and no context was given");
    auto found_ctx = find_named(root, "contexts", ctx_name, "context");
    if (!found_ctx) return std::unexpected(where + "context \"" + ctx_name + "\" not found");
    const YAML::Node ctx = *found_ctx;
    const std::string cluster_name = str(ctx, "cluster");
    if (cluster_name.empty())
      return std::unexpected(where + "context \"" + ctx_name + "\" names no cluster");
    auto found_cluster = find_named(root, "clusters", cluster_name, "cluster");
    if (!found_cluster)
      return std::unexpected(where + "cluster \"" + cluster_name + "\" (of context \"" + ctx_name +
                             "\") not found");
    const YAML::Node cluster = *found_cluster;
    connection c;
    c.server = str(cluster, "server");
    if (c.server.empty())
      return std::unexpected(where + "cluster \"" + cluster_name + "\" has no server");
    while (c.server.size() > 1 && c.server.back() == '/') c.server.pop_back();
    c.ca_file = resolve(base, str(cluster, "certificate-authority"));
    if (auto d = str(cluster, "certificate-authority-data"); !d.empty()) {
      auto pem = base64_decode(d, "certificate-authority-data of cluster \"" + cluster_name + "\"");
      if (!pem) return std::unexpected(where + pem.error());
      c.ca_data = *pem;
    }
    if (!c.ca_file.empty() && !fs::exists(c.ca_file))
      return std::unexpected(where + "certificate-authority " + c.ca_file + " does not exist");
    if (cluster["insecure-skip-tls-verify"])
      c.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>();

    const std::string user_name = str(ctx, "user");
    if (!user_name.empty()) {
      auto found_user = find_named(root, "users", user_name, "user");
      if (!found_user)
        return std::unexpected(where + "user \"" + user_name + "\" (of context \"" + ctx_name +
                               "\") not found");
      const YAML::Node user = *found_user;
      if (user.IsMap()) {
        if (user["exec"])
          return std::unexpected(where + "user \"" + user_name +
                                 "\" uses an exec credential plugin, which is not supported; "
                                 "use a token, tokenFile or client certificate");
        if (user["auth-provider"])
          return std::unexpected(where + "user \"" + user_name +
                                 "\" uses an auth-provider, which is not supported");
        c.token = str(user, "token");
        c.token_file = resolve(base, str(user, "tokenFile"));
        c.client_cert_file = resolve(base, str(user, "client-certificate"));
        c.client_key_file = resolve(base, str(user, "client-key"));
        for (auto [key, out] : {std::pair{"client-certificate-data", &c.client_cert_data},
                                std::pair{"client-key-data", &c.client_key_data}}) {
          if (auto d = str(user, key); !d.empty()) {
            auto pem = base64_decode(d, std::string(key) + " of user \"" + user_name + "\"");
            if (!pem) return std::unexpected(where + pem.error());
            *out = *pem;
          }
        }
        for (const auto* f : {&c.token_file, &c.client_cert_file, &c.client_key_file})
          if (!f->empty() && !fs::exists(*f))
            return std::unexpected(where + "file " + *f + " (of user \"" + user_name +
                                   "\") does not exist");
        const bool has_cert = !c.client_cert_file.empty() || !c.client_cert_data.empty();
        const bool has_key = !c.client_key_file.empty() || !c.client_key_data.empty();
        if (has_cert != has_key)
          return std::unexpected(where + "user \"" + user_name +
                                 "\" has a client certificate without a key or a key without "
                                 "a certificate");
      }
    }
    c.ns = str(ctx, "namespace");
    if (c.ns.empty()) c.ns = "default";
    return c;
  } catch (const YAML::Exception& e) {
    return std::unexpected(where + e.what());
  }
}

std::expected<connection, std::string> resolve_connection(
    std::optional<std::string> kubeconfig_flag) {
  if (kubeconfig_flag && !kubeconfig_flag->empty()) return kubeconfig_connection(*kubeconfig_flag);
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    // A ':'-separated list; the first file that exists holds the context we use (the lists are
    // not merged).
    std::string list = env;
    std::string first;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      std::string f = list.substr(start, end - start);
      if (!f.empty()) {
        if (first.empty()) first = f;
        if (fs::exists(f)) return kubeconfig_connection(f);
      }
      start = end + 1;
    }
    if (!first.empty()) return kubeconfig_connection(first);  // reports the missing file
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    fs::path p = fs::path(home) / ".kube" / "config";
    if (fs::exists(p)) return kubeconfig_connection(p.string());
  }
  return in_cluster_connection();
}

}  // namespace tern::op::k8s
