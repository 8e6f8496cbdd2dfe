// Where the Kubernetes API server is and how to authenticate to it: from a kubeconfig file or
// from the service account a pod runs as.
#pragma once

#include <expected>
#include <optional>
#include <string>

namespace tern::op::k8s {

struct connection {
  std::string server;   // "https://host:port" (or "http://..." for test doubles)
  std::string ca_file;  // PEM file with the CA bundle that signed the server's certificate
  std::string ca_data;  // PEM
  std::string token;    // bearer token; token_file wins when both are set
  // Re-read when it changes: bound service-account tokens rotate (about hourly).
  std::string token_file;
  std::string client_cert_file, client_key_file;
  std::string client_cert_data, client_key_data;  // PEM
  bool insecure_skip_tls_verify = false;
  std::string ns;  // default namespace
};

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// In a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT with the token, CA and
// namespace the kubelet mounts under `service_account_dir`.
std::expected<connection, std::string> in_cluster_connection(
    const std::string& service_account_dir = kServiceAccountDir);

// The cluster, user and namespace of `context` (the file's current-context when empty).
// Relative file paths are resolved against the kubeconfig's folder. Exec and auth-provider
// plugins are not supported and give an error naming them.
std::expected<connection, std::string> kubeconfig_connection(const std::string& path,
                                                             const std::string& context = "");

// --kubeconfig if given, else the first file of $KUBECONFIG, else ~/.kube/config when it
// exists, else the in-cluster service account.
std::expected<connection, std::string> resolve_connection(
    std::optional<std::string> kubeconfig_flag);

}  // namespace tern::op::k8s
