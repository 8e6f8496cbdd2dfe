// tern-operator: reconciles tern.dev Clusters and Topics through the Kubernetes API.
//
//   tern-operator [--kubeconfig PATH] [--namespace NS] [--metrics-addr HOST:PORT]
//                 [--leader-elect] [--leader-election-namespace NS] [--leader-election-id NAME]
//                 [--leader-elect-lease-duration S] [--leader-elect-renew-deadline S]
//                 [--leader-elect-retry-period S]
//                 [--broker-image IMAGE] [--etcd-image IMAGE] [--workers N]
//                 [--log-format text|json] [--log-level LEVEL]
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "broker/admin/admin_server.h"
#include "common/json_log_format.h"
#include "operator/controllers/operator_app.h"
#include "operator/k8s/connection.h"
#include "operator/k8s/leader_election.h"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern::op;
  CLI::App app{"tern-operator: runs tern Clusters and Topics on Kubernetes"};
  std::string kubeconfig, ns, metrics_addr = "0.0.0.0:8080", lease_ns, lease_id = "tern-operator",
                              log_format = "text", log_level = "info";
  bool leader_elect = false;
  controllers::operator_options options;
  app.add_option("--kubeconfig", kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)");
  app.add_option("--namespace", ns, "watch one namespace (default: all)");
  app.add_option("--metrics-addr", metrics_addr, "where /healthz, /readyz and /metrics are served");
  app.add_flag("--leader-elect", leader_elect,
               "run as one of several replicas: only the holder of a Lease reconciles");
  app.add_option("--leader-election-namespace", lease_ns,
                 "namespace of the Lease (default: $POD_NAMESPACE, else the client's namespace)");
  app.add_option("--leader-election-id", lease_id, "name of the Lease");
  double lease_duration = 15, renew_deadline = 10, retry_period = 2;
  app.add_option("--leader-elect-lease-duration", lease_duration,
                 "seconds a standby waits after the last renewal before taking the Lease");
  app.add_option("--leader-elect-renew-deadline", renew_deadline,
                 "seconds the leader keeps trying to renew before it gives up leading");
  app.add_option("--leader-elect-retry-period", retry_period, "seconds between Lease attempts");
  app.add_option("--broker-image", options.cluster.defaults.broker_image,
                 "broker image for Clusters that name none");
  app.add_option("--etcd-image", options.cluster.defaults.etcd_image,
                 "etcd image for managed metadata stores that name none");
  app.add_option("--workers", options.workers, "reconcile workers per controller")
      ->check(CLI::Range(1, 64));
  app.add_option("--log-format", log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  tern::configure_logging(log_level, log_format);
  options.ns = ns;

  auto conn = k8s::resolve_connection(kubeconfig.empty() ? std::nullopt
                                                         : std::optional<std::string>(kubeconfig));
  if (!conn) {
    spdlog::critical("cannot reach the Kubernetes API: {}", conn.error());
    return 1;
  }
  k8s::client api(*conn);
  controllers::operator_metrics metrics;
  controllers::operator_app controller(api, metrics, options, controllers::service_dns_endpoints());

  std::atomic<bool> active{false};  // the controllers run (this replica leads)
  boost::asio::io_context ioc;
  tern::admin::admin_server health(ioc, [&](const std::string&, const std::string& path) {
    if (path == "/healthz")
      return tern::admin::http_reply{200, "application/json", R"({"status":"ok"})"};
    if (path == "/metrics")
      return tern::admin::http_reply{200, "text/plain; version=0.0.4", metrics.scrape()};
    if (path == "/readyz") {
      // A standby is ready: it serves metrics and waits for the Lease.
      const bool ready = !active || controller.running();
      return tern::admin::http_reply{
          ready ? 200u : 503u, "application/json",
          ready ? R"({"ready":true})" : R"({"ready":false,"reason":"caches not synced"})"};
    }
    return tern::admin::http_reply{404, "application/json", R"({"error":"not found"})"};
  });
  const auto colon = metrics_addr.rfind(':');
  if (colon == std::string::npos) {
    spdlog::critical("--metrics-addr must be HOST:PORT");
    return 2;
  }
  auto port = health.listen(metrics_addr.substr(0, colon),
                            static_cast<uint16_t>(std::stoi(metrics_addr.substr(colon + 1))));
  if (!port) {
    spdlog::critical("cannot serve metrics on {}: {}", metrics_addr, port.error());
    return 1;
  }
  std::jthread http([&] { ioc.run(); });
  spdlog::info("tern-operator ready: metrics=http://{}:{} namespace={} leader-elect={}",
               metrics_addr.substr(0, colon), *port, ns.empty() ? "(all)" : ns, leader_elect);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::stop_source stop;
  std::jthread watcher([&] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });

  int exit_code = 0;
  if (leader_elect) {
    k8s::leader_elector::options lo;
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    lo.ns = !lease_ns.empty()   ? lease_ns
            : pod_ns != nullptr ? pod_ns
            : !conn->ns.empty() ? conn->ns
                                : "default";
    lo.name = lease_id;
    auto ms = [](double seconds) {
      return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    };
    lo.lease_duration = ms(lease_duration);
    lo.renew_deadline = ms(renew_deadline);
    lo.retry_period = ms(retry_period);
    const char* pod = std::getenv("POD_NAME");
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    lo.identity = std::string(pod != nullptr ? pod : host) + "_" + std::to_string(getpid());
    k8s::leader_elector elector(api, lo);
    elector.run(
        [&] {
          metrics.leading(true);
          spdlog::info("leading as {}: starting the controllers", lo.identity);
          controller.start();
          active = true;
        },
        [&] {
          metrics.leading(false);
          active = false;
          controller.stop();
          if (!stop.stop_requested()) {
            // Another replica may already be reconciling: stop at once, as client-go's
            // operators do, and let Kubernetes start this one again as a standby.
            spdlog::error("lost the leader Lease {}/{}; exiting", lo.ns, lo.name);
            exit_code = 1;
            stop.request_stop();
          }
        },
        stop.get_token());
  } else {
    metrics.leading(true);
    controller.start();
    active = true;
    while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    controller.stop();
  }
  g_stop = true;
  health.stop();
  ioc.stop();
  spdlog::info("tern-operator stopped");
  return exit_code;
}
