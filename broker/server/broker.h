// tern-broker's top level: owns the configuration, metadata store, logs and listeners, and
// gives handlers what they need.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <set>
#include <string>
#include "common/asio.h"

#include "broker/admin/admin_server.h"
#include "broker/admin/broker_metrics.h"
#include "broker/cluster/cluster_agent.h"
#include "broker/cluster/metadata_store.h"
#include "broker/group/group_coordinator.h"
#include "broker/replication/replica_manager.h"
#include "broker/server/broker_config.h"
#include "broker/server/data_signal.h"
#include "broker/server/offsets_topic_storage.h"
#include "broker/server/topic_manager.h"
#include "broker/storage/log_manager.h"

namespace tern::server {

class broker {
 public:
  broker(boost::asio::io_context& ioc, broker_config config);
  ~broker();

  // Opens storage and binds the Kafka and admin listeners.
  std::expected<void, std::string> start();
  // Stops accepting, closes connections, checkpoints the logs and marks a clean shutdown.
  void stop();

  // The inter-broker listener's bound port.
  uint16_t kafka_port() const;
  uint16_t admin_port() const;
  bool ready() const { return ready_; }

  const broker_config& config() const { return config_; }
  int32_t node_id() const { return config_.node_id; }
  // The host and port clients are told to connect to on the inter-broker listener, and on the
  // listener named `listener` (the inter-broker one when this broker has no such listener).
  const std::string& advertised_host() const;
  uint16_t advertised_port() const;
  std::pair<std::string, int32_t> advertised_for(const std::string& listener) const;
  // "NAME=host:port,..." of every listener as bound, for the ready line.
  std::string bound_listeners() const;
  topic_manager& topics() { return *topics_; }
  cluster::metadata_store& metadata() { return *metadata_; }
  storage::log_manager& logs() { return *logs_; }
  data_signal& arrivals() { return arrivals_; }
  group::group_coordinator& groups() { return *groups_; }
  group::offsets_storage& groups_storage() { return *offsets_storage_; }
  admin::broker_metrics& metrics() { return *metrics_; }
  // Cluster mode only (metadata.store=etcd://...); null in single-node mode.
  replication::replica_manager* replicas() { return replicas_.get(); }
  cluster::cluster_agent* agent() { return agent_.get(); }
  boost::asio::io_context& io() { return ioc_; }

  // A fresh producer id for InitProducerId; ids are reserved from the store in blocks.
  std::expected<int64_t, std::string> next_producer_id();

  // Connections register so stop() can close them.
  void track(const std::shared_ptr<boost::asio::ip::tcp::socket>& s) { sockets_.insert(s); }
  void untrack(const std::shared_ptr<boost::asio::ip::tcp::socket>& s) { sockets_.erase(s); }

 private:
  struct kafka_listener {
    std::string name;
    boost::asio::ip::tcp::acceptor acceptor;
    uint16_t port = 0;
    std::string advertised_host;
    uint16_t advertised_port = 0;
  };
  std::expected<void, std::string> bind_listeners();
  const kafka_listener& inter_broker_listener() const;
  std::expected<void, std::string> join_cluster(const std::string& endpoints);
  void on_view(cluster::cluster_agent::view_ptr view);
  boost::asio::awaitable<void> accept_loop(kafka_listener& l);
  boost::asio::awaitable<void> housekeeping_loop();
  boost::asio::awaitable<void> cleaner_loop();

  boost::asio::io_context& ioc_;
  broker_config config_;
  std::unique_ptr<cluster::metadata_store> metadata_;
  std::unique_ptr<storage::log_manager> logs_;
  std::unique_ptr<topic_manager> topics_;
  std::unique_ptr<offsets_topic_storage> offsets_storage_;
  std::unique_ptr<group::group_coordinator> groups_;
  std::unique_ptr<admin::admin_server> admin_;
  std::unique_ptr<admin::broker_metrics> metrics_;
  std::unique_ptr<cluster::cluster_agent> agent_;
  std::unique_ptr<replication::replica_manager> replicas_;
  std::vector<std::unique_ptr<kafka_listener>> listeners_;
  boost::asio::steady_timer housekeeping_timer_;
  boost::asio::steady_timer cleaner_timer_;
  data_signal arrivals_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  uint16_t admin_port_ = 0;
  int64_t producer_id_next_ = 0;
  int64_t producer_id_end_ = 0;
  bool ready_ = false;
  bool stopped_ = false;
};

int64_t now_ms();

}  // namespace tern::server
