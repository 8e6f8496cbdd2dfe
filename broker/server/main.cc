// tern-broker: a Kafka-compatible broker. Configuration comes from a YAML (or .properties)
// file, then --override flags, then TERN_* environment variables.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>

#include <CLI/CLI.hpp>
#include "common/asio.h"

#include "broker/server/broker.h"
#include "common/json_log_format.h"

extern char** environ;

int main(int argc, char** argv) {
  CLI::App app{"tern-broker: a Kafka-compatible streaming broker"};
  std::string config_file;
  std::vector<std::string> overrides;
  app.add_option("--config,config", config_file, "YAML or .properties configuration file");
  app.add_option("--override", overrides, "key=value, overriding the file (repeatable)");
  CLI11_PARSE(app, argc, argv);

  tern::config_map raw;
  if (!config_file.empty()) {
    auto loaded = tern::config_map::from_file(config_file);
    if (!loaded) {
      spdlog::critical("{}", loaded.error());
      return 2;
    }
    raw = std::move(*loaded);
  }
  for (const auto& o : overrides) {
    if (auto s = raw.set_assignment(o); !s) {
      spdlog::critical("--override: {}", s.error());
      return 2;
    }
  }
  raw.apply_environment(environ);

  if (!tern::configure_logging(raw.get("log.level").value_or("info"),
                               raw.get("log.format").value_or("text"))) {
    spdlog::critical("log.format must be text or json");
    return 2;
  }

  std::vector<std::string> warnings;
  auto config = tern::server::load_broker_config(raw, warnings);
  if (!config) {
    spdlog::critical("invalid configuration: {}", config.error());
    return 2;
  }
  for (const auto& w : warnings) spdlog::warn("{}", w);

  // A client that disconnects while sendfile() writes to it must cost only its connection.
  std::signal(SIGPIPE, SIG_IGN);

  // Every partition keeps three files open; take all the descriptors the system allows.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  boost::asio::io_context ioc(1);
  tern::server::broker broker(ioc, *config);
  if (auto started = broker.start(); !started) {
    spdlog::critical("cannot start: {}", started.error());
    return 1;
  }
  boost::asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", sig);
    broker.stop();
    ioc.stop();
  });
  // kafka= and advertised= are the inter-broker listener's; listeners= lists them all when
  // there are several.
  spdlog::info(
      "tern-broker ready: node.id={} kafka={}:{} advertised={}:{} admin=http://{}:{} "
      "log.dirs={}{}",
      config->node_id, config->listeners.inter_broker_listener().bind.host, broker.kafka_port(),
      broker.advertised_host(), broker.advertised_port(), config->admin_listener.host,
      broker.admin_port(), fmt::join(config->log_dirs, ","),
      config->listeners.listeners.size() > 1 ? " listeners=" + broker.bound_listeners() : "");
  ioc.run();
  spdlog::info("tern-broker stopped cleanly");
  return 0;
}
