// Broker start-up, shutdown and shared services.
#include "broker/server/broker.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include "common/asio.h"

#include "broker/admin/admin_server.h"
#include "broker/cluster/embedded_metadata_store.h"
#include "broker/cluster/etcd_metadata_store.h"
#include "broker/cluster/topic_json.h"
#include "broker/server/admin_routes.h"
#include "broker/server/connection.h"
#include "broker/server/state_metrics.h"
#include "broker/storage/fsync_observer.h"
#include "broker/storage/topic_config.h"

namespace tern::server {

namespace asio = boost::asio;

namespace {

constexpr int64_t kProducerIdBlock = 1000;

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

broker::broker(asio::io_context& ioc, broker_config config)
    : ioc_(ioc), config_(std::move(config)), housekeeping_timer_(ioc), cleaner_timer_(ioc) {
  metrics_ = std::make_unique<admin::broker_metrics>(config_.metrics_enabled);
}

broker::~broker() = default;

uint16_t broker::admin_port() const {
  return admin_port_;
}

std::expected<void, std::string> broker::start() {
  std::string etcd_endpoints;
  if (config_.metadata_store == "embedded") {
    auto store = cluster::embedded_metadata_store::open(config_.log_dirs.front());
    if (!store) return std::unexpected(store.error());
    metadata_ = std::move(*store);
  } else {
    etcd_endpoints = config_.metadata_store.substr(std::string("etcd://").size());
    auto client = cluster::etcd_client::connect(etcd_endpoints);
    if (!client) return std::unexpected("metadata.store: " + client.error());
    auto store = cluster::etcd_metadata_store::open(std::move(*client), config_.metadata_prefix);
    if (!store) return std::unexpected("metadata.store: " + store.error());
    metadata_ = std::move(*store);
    spdlog::info("metadata in etcd at {} under {}", etcd_endpoints, config_.metadata_prefix);
  }
  auto logs = storage::log_manager::open(config_.log_dirs);
  if (!logs) return std::unexpected(logs.error());
  logs_ = std::move(*logs);
  // Bound before joining a cluster: the registration carries both addresses.
  if (auto l = bind_listeners(); !l) return l;
  admin_ = std::make_unique<admin::admin_server>(
      ioc_, [this](const std::string& method, const std::string& path) {
        return route_admin(*this, method, path);
      });
  auto admin_port = admin_->listen(config_.admin_listener.host, config_.admin_listener.port);
  if (!admin_port) return std::unexpected(admin_port.error());
  admin_port_ = *admin_port;

  topics_ = std::make_unique<topic_manager>(config_, *metadata_, *logs_);
  if (!etcd_endpoints.empty()) {
    if (auto j = join_cluster(etcd_endpoints); !j) return j;
  }
  if (auto l = topics_->load(); !l) return std::unexpected(l.error());
  offsets_storage_ = std::make_unique<offsets_topic_storage>(*this);
  groups_ = std::make_unique<group::group_coordinator>(ioc_, *offsets_storage_, config_.groups);
  if (replicas_) groups_->serve_led_partitions_only();
  groups_->start();
  metrics_->add_collector([this](std::vector<prometheus::MetricFamily>& out) {
    collect_state_metrics(*this, config_.metrics_detail, out);
  });
  storage::set_fsync_observer([m = metrics_.get()](double s) { m->observe_fsync(s); });

  for (auto& l : listeners_) asio::co_spawn(ioc_, accept_loop(*l), asio::detached);
  asio::co_spawn(ioc_, housekeeping_loop(), asio::detached);
  asio::co_spawn(ioc_, cleaner_loop(), asio::detached);
  if (replicas_) replicas_->start();
  ready_ = true;
  return {};
}

std::expected<void, std::string> broker::bind_listeners() {
  for (const auto& config : config_.listeners.listeners) {
    auto l = std::make_unique<kafka_listener>(
        kafka_listener{config.name, asio::ip::tcp::acceptor(ioc_), 0, {}, 0});
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config.bind.host, ec);
    if (ec) return std::unexpected("listeners: bad address " + config.bind.host);
    asio::ip::tcp::endpoint ep(address, config.bind.port);
    l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return std::unexpected("listeners: cannot listen on " + config.bind.to_string() + ": " +
                             ec.message());
    l->port = l->acceptor.local_endpoint().port();
    if (config.advertised) {
      l->advertised_host = config.advertised->host;
      l->advertised_port = config.advertised->port == 0 ? l->port : config.advertised->port;
    } else {
      l->advertised_host = config.bind.host == "0.0.0.0" ? "127.0.0.1" : config.bind.host;
      l->advertised_port = l->port;
    }
    listeners_.push_back(std::move(l));
  }
  return {};
}

const broker::kafka_listener& broker::inter_broker_listener() const {
  for (const auto& l : listeners_)
    if (l->name == config_.listeners.inter_broker) return *l;
  return *listeners_.front();
}

uint16_t broker::kafka_port() const {
  return inter_broker_listener().port;
}
const std::string& broker::advertised_host() const {
  return inter_broker_listener().advertised_host;
}
uint16_t broker::advertised_port() const {
  return inter_broker_listener().advertised_port;
}

std::pair<std::string, int32_t> broker::advertised_for(const std::string& listener) const {
  for (const auto& l : listeners_)
    if (l->name == listener) return {l->advertised_host, l->advertised_port};
  return {advertised_host(), advertised_port()};
}

std::string broker::bound_listeners() const {
  std::string out;
  for (const auto& l : listeners_) {
    const auto& host =
        std::find_if(config_.listeners.listeners.begin(), config_.listeners.listeners.end(),
                     [&](const auto& c) { return c.name == l->name; })
            ->bind.host;
    out += (out.empty() ? "" : ",") + l->name + "=" + host + ":" + std::to_string(l->port);
  }
  return out;
}

std::expected<void, std::string> broker::join_cluster(const std::string& endpoints) {
  const cluster_config& k = config_.cluster;
  cluster::agent_settings s;
  s.endpoints = endpoints;
  s.keys = {config_.metadata_prefix};
  s.self.id = config_.node_id;
  s.self.host = advertised_host();
  s.self.port = advertised_port();
  for (const auto& l : listeners_)
    s.self.listeners[l->name] = {l->advertised_host, l->advertised_port};
  s.self.rack = k.rack;
  s.self.admin_url =
      "http://" +
      (config_.admin_listener.host == "0.0.0.0" ? advertised_host() : config_.admin_listener.host) +
      ":" + std::to_string(admin_port_);
  s.self.incarnation = cluster::to_hex(cluster::random_uuid());
  s.session_timeout = std::chrono::milliseconds(k.session_timeout_ms);
  s.heartbeat_interval = std::chrono::milliseconds(k.heartbeat_interval_ms);
  s.poll_interval = std::chrono::milliseconds(k.poll_interval_ms);
  s.controller.unclean_leader_election = k.unclean_leader_election;
  s.auto_leader_rebalance = k.auto_leader_rebalance;
  s.leader_imbalance_check_interval =
      std::chrono::milliseconds(k.leader_imbalance_check_interval_ms);
  // Views arrive on the agent's thread and are applied on the I/O thread, in order.
  auto agent = cluster::cluster_agent::start(s, [this](cluster::cluster_agent::view_ptr v) {
    asio::post(ioc_, [this, v = std::move(v)]() mutable { on_view(std::move(v)); });
  });
  if (!agent) return std::unexpected("cluster: " + agent.error());
  agent_ = std::move(*agent);

  replication::replica_settings r;
  r.node_id = config_.node_id;
  r.replica_lag_time_max_ms = k.replica_lag_time_max_ms;
  r.replica_fetch_wait_max_ms = k.replica_fetch_wait_max_ms;
  r.replica_fetch_max_bytes = k.replica_fetch_max_bytes;
  r.replica_fetch_response_max_bytes = k.replica_fetch_response_max_bytes;
  r.replica_socket_timeout_ms = k.replica_socket_timeout_ms;
  r.follower_writes =
      k.replica_direct_io ? storage::write_mode::direct : storage::write_mode::buffered;
  replication::replica_hooks hooks;
  hooks.open = [this](const cluster::topic_info& t, int32_t p) -> storage::log* {
    auto l = logs_->open_log({t.name, p},
                             storage::resolve_topic_config(config_.topic_defaults, t.configs));
    if (!l) {
      spdlog::error("cannot open the log of {}-{}: {}", t.name, p, l.error());
      return nullptr;
    }
    return *l;
  };
  hooks.remove_topic = [this](const std::string& t) {
    spdlog::info("topic {} was deleted; removing its logs", t);
    logs_->remove_topic(t);
  };
  hooks.remove_partition = [this](const cluster::partition_ref& p) {
    logs_->remove_partition({p.topic, p.partition});
  };
  hooks.leadership_changed = [this](const cluster::partition_ref& p, bool leading) {
    if (p.topic != group::kOffsetsTopic || !groups_) return;
    if (leading)
      groups_->partition_led(p.partition);
    else
      groups_->partition_lost(p.partition);
  };
  replicas_ = std::make_unique<replication::replica_manager>(ioc_, r, *agent_, std::move(hooks),
                                                             [this] { arrivals_.notify(); });
  topics_->use_cluster([this]() -> const cluster::cluster_view& { return replicas_->view(); });
  spdlog::info("node {} joined the cluster in etcd at {} (rack '{}')", config_.node_id, endpoints,
               k.rack);
  return {};
}

void broker::on_view(cluster::cluster_agent::view_ptr view) {
  if (stopped_ || !replicas_) return;
  replicas_->apply_view(std::move(view));
  // Topic config changes made through any broker reach this one's logs here; each topic's
  // config is resolved once (replicas are ordered by topic).
  const std::string* topic = nullptr;
  storage::topic_config resolved;
  for (const auto& [ref, r] : replicas_->replicas()) {
    if (topic == nullptr || *topic != ref.topic) {
      auto t = replicas_->view().topics.find(ref.topic);
      if (t == replicas_->view().topics.end()) continue;
      topic = &ref.topic;
      resolved = storage::resolve_topic_config(config_.topic_defaults, t->second.configs);
    }
    r.log->set_config(resolved);
  }
}

void broker::stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_ = false;
  boost::system::error_code ec;
  for (auto& l : listeners_) l->acceptor.close(ec);
  housekeeping_timer_.cancel();
  cleaner_timer_.cancel();
  if (groups_) groups_->stop();
  if (replicas_) replicas_->stop();
  if (agent_) agent_->stop();
  if (admin_) admin_->stop();
  for (const auto& s : sockets_) s->close(ec);
  sockets_.clear();
  arrivals_.notify();
  if (logs_) logs_->shutdown();
}

asio::awaitable<void> broker::accept_loop(kafka_listener& l) {
  for (;;) {
    auto socket = std::make_shared<asio::ip::tcp::socket>(ioc_);
    boost::system::error_code ec;
    co_await l.acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!l.acceptor.is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    asio::co_spawn(ioc_, serve_connection(*this, socket, l.name), asio::detached);
  }
}

asio::awaitable<void> broker::housekeeping_loop() {
  while (!stopped_) {
    housekeeping_timer_.expires_after(
        std::chrono::milliseconds(config_.retention_check_interval_ms));
    boost::system::error_code ec;
    co_await housekeeping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    const size_t deleted = logs_->housekeeping(now_ms());
    if (deleted > 0) spdlog::info("retention deleted {} segments", deleted);
  }
}

asio::awaitable<void> broker::cleaner_loop() {
  while (!stopped_) {
    cleaner_timer_.expires_after(std::chrono::milliseconds(config_.cleaner_backoff_ms));
    boost::system::error_code ec;
    co_await cleaner_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    logs_->compact(now_ms());
  }
}

std::expected<int64_t, std::string> broker::next_producer_id() {
  if (producer_id_next_ >= producer_id_end_) {
    auto first = metadata_->allocate_producer_ids(kProducerIdBlock);
    if (!first) return std::unexpected(first.error());
    producer_id_next_ = *first;
    producer_id_end_ = *first + kProducerIdBlock;
  }
  return producer_id_next_++;
}

}  // namespace tern::server
