// Broker settings: parsing, defaults and checks.
#include "broker/server/broker_config.h"

#include <sstream>

#include "broker/storage/topic_config.h"

namespace tern::server {

const std::map<std::string, std::string>& known_broker_keys() {
  static const std::map<std::string, std::string> keys = [] {
    std::map<std::string, std::string> k = {
        {"node.id", "0"},
        {"broker.id", "0"},
        {"listeners", "PLAINTEXT://127.0.0.1:9092"},
        {"advertised.listeners", ""},
        {"listener.security.protocol.map", ""},
        {"inter.broker.listener.name", ""},
        {"admin.listeners", "http://127.0.0.1:9644"},
        {"log.dirs", "./data"},
        {"metadata.store", "embedded"},
        {"metadata.store.prefix", "/tern"},
        {"log.dir", "./data"},
        {"num.partitions", "1"},
        {"default.replication.factor", "1"},
        {"auto.create.topics.enable", "true"},
        {"delete.topic.enable", "true"},
        {"socket.request.max.bytes", "104857600"},
        {"log.retention.check.interval.ms", "300000"},
        {"log.cleaner.backoff.ms", "15000"},
        {"metrics.enabled", "true"},
        {"metrics.partition.level", "topic"},
        {"log.retention.hours", "168"},
        {"log.retention.minutes", ""},
        {"log.roll.hours", "168"},
        {"log.roll.minutes", ""},
        {"group.initial.rebalance.delay.ms", "3000"},
        {"group.min.session.timeout.ms", "6000"},
        {"group.max.session.timeout.ms", "1800000"},
        {"offsets.topic.num.partitions", "50"},
        {"offsets.topic.segment.bytes", "104857600"},
        {"offsets.retention.minutes", "10080"},
        {"offsets.retention.check.interval.ms", "600000"},
        {"offset.metadata.max.bytes", "4096"},
        {"broker.rack", ""},
        {"broker.session.timeout.ms", "2000"},
        {"broker.heartbeat.interval.ms", "500"},
        {"metadata.poll.interval.ms", "100"},
        {"unclean.leader.election.enable", "false"},
        {"auto.leader.rebalance.enable", "true"},
        {"leader.imbalance.check.interval.seconds", "300"},
        {"replica.lag.time.max.ms", "30000"},
        {"replica.fetch.wait.max.ms", "500"},
        {"replica.fetch.max.bytes", "1048576"},
        {"replica.fetch.response.max.bytes", "10485760"},
        {"replica.socket.timeout.ms", "30000"},
        {"replica.direct.io.enable", "true"},
        {"offsets.topic.replication.factor", "3"},
        {"log.level", "info"},
        {"log.format", "text"},
    };
    for (const auto& d : storage::topic_config_defs())
      k.emplace(std::string(d.broker_key), std::string(d.fallback));
    return k;
  }();
  return keys;
}

std::expected<broker_config, std::string> load_broker_config(const config_map& raw,
                                                             std::vector<std::string>& warnings) {
  broker_config c;
  c.raw = raw;
  for (const auto& [key, value] : raw.entries())
    if (!known_broker_keys().contains(key)) warnings.push_back("unknown config key " + key);

#define TERN_TRY(var, expr) \
  auto var = (expr);        \
  if (!var) return std::unexpected(var.error())

  TERN_TRY(node_id, raw.get_int("node.id", raw.get_int("broker.id", 0).value_or(0)));
  if (*node_id < 0 || *node_id > INT32_MAX) return std::unexpected("node.id must be >= 0");
  c.node_id = static_cast<int32_t>(*node_id);

  TERN_TRY(listeners, load_listeners(raw));
  c.listeners = std::move(*listeners);
  TERN_TRY(admin, parse_endpoint(raw.get("admin.listeners").value_or("http://127.0.0.1:9644")));
  c.admin_listener = *admin;

  std::string dirs = raw.get("log.dirs").value_or(raw.get("log.dir").value_or("./data"));
  c.log_dirs.clear();
  std::stringstream in(dirs);
  std::string d;
  while (std::getline(in, d, ','))
    if (!d.empty()) c.log_dirs.push_back(d);
  if (c.log_dirs.empty()) return std::unexpected("log.dirs is empty");

  c.metadata_store = raw.get("metadata.store").value_or("embedded");
  if (c.metadata_store != "embedded" && !c.metadata_store.starts_with("etcd://"))
    return std::unexpected(
        "metadata.store must be embedded or etcd://host:port[,host:port...], got " +
        c.metadata_store);
  c.metadata_prefix = raw.get("metadata.store.prefix").value_or("/tern");
  if (c.metadata_prefix.empty() || c.metadata_prefix.front() != '/')
    return std::unexpected("metadata.store.prefix must start with /");

  TERN_TRY(partitions, raw.get_int("num.partitions", 1));
  if (*partitions < 1 || *partitions > INT32_MAX)
    return std::unexpected("num.partitions must be at least 1");
  c.num_partitions = static_cast<int32_t>(*partitions);
  TERN_TRY(rf, raw.get_int("default.replication.factor", 1));
  if (*rf < 1 || *rf > INT16_MAX)
    return std::unexpected("default.replication.factor must be at least 1");
  c.default_replication_factor = static_cast<int16_t>(*rf);
  TERN_TRY(auto_create, raw.get_bool("auto.create.topics.enable", true));
  c.auto_create_topics = *auto_create;
  TERN_TRY(delete_enable, raw.get_bool("delete.topic.enable", true));
  c.delete_topic_enable = *delete_enable;
  TERN_TRY(max_request, raw.get_int("socket.request.max.bytes", 104857600));
  if (*max_request < 1024 || *max_request > INT32_MAX)
    return std::unexpected("socket.request.max.bytes must be between 1024 and 2147483647");
  c.socket_request_max_bytes = *max_request;
  TERN_TRY(check_interval, raw.get_int("log.retention.check.interval.ms", 300000));
  if (*check_interval < 1)
    return std::unexpected("log.retention.check.interval.ms must be positive");
  c.retention_check_interval_ms = *check_interval;
  TERN_TRY(backoff, raw.get_int("log.cleaner.backoff.ms", 15000));
  if (*backoff < 1) return std::unexpected("log.cleaner.backoff.ms must be positive");
  c.cleaner_backoff_ms = *backoff;
  TERN_TRY(metrics_on, raw.get_bool("metrics.enabled", true));
  c.metrics_enabled = *metrics_on;
  const std::string level = raw.get("metrics.partition.level").value_or("topic");
  if (level == "partition")
    c.metrics_detail = admin::partition_detail::partition;
  else if (level == "topic")
    c.metrics_detail = admin::partition_detail::topic;
  else if (level == "none")
    c.metrics_detail = admin::partition_detail::none;
  else
    return std::unexpected("metrics.partition.level must be partition, topic or none, got " +
                           level);
  TERN_TRY(delay, raw.get_int("group.initial.rebalance.delay.ms", 3000));
  TERN_TRY(min_session, raw.get_int("group.min.session.timeout.ms", 6000));
  TERN_TRY(max_session, raw.get_int("group.max.session.timeout.ms", 1800000));
  TERN_TRY(offsets_partitions, raw.get_int("offsets.topic.num.partitions", 50));
  TERN_TRY(offsets_segment, raw.get_int("offsets.topic.segment.bytes", 104857600));
  TERN_TRY(retention_minutes, raw.get_int("offsets.retention.minutes", 10080));
  TERN_TRY(retention_check, raw.get_int("offsets.retention.check.interval.ms", 600000));
  TERN_TRY(metadata_max, raw.get_int("offset.metadata.max.bytes", 4096));
  if (*delay < 0) return std::unexpected("group.initial.rebalance.delay.ms must be >= 0");
  if (*min_session < 1 || *max_session < *min_session)
    return std::unexpected(
        "group.min.session.timeout.ms and group.max.session.timeout.ms must form a range");
  if (*offsets_partitions < 1 || *offsets_partitions > 10000)
    return std::unexpected("offsets.topic.num.partitions must be between 1 and 10000");
  if (*offsets_segment < 1024) return std::unexpected("offsets.topic.segment.bytes is too small");
  if (*retention_minutes < 1 || *retention_check < 1 || *metadata_max < 0)
    return std::unexpected(
        "offsets.retention.minutes, offsets.retention.check.interval.ms and "
        "offset.metadata.max.bytes must be positive");
  c.groups.initial_rebalance_delay_ms = *delay;
  c.groups.min_session_timeout_ms = static_cast<int32_t>(*min_session);
  c.groups.max_session_timeout_ms = static_cast<int32_t>(*max_session);
  c.groups.offsets_partitions = static_cast<int32_t>(*offsets_partitions);
  c.groups.offsets_retention_ms = *retention_minutes * 60'000;
  c.groups.offsets_retention_check_interval_ms = *retention_check;
  c.groups.offset_metadata_max_bytes = static_cast<size_t>(*metadata_max);
  c.offsets_segment_bytes = *offsets_segment;
  {
    cluster_config& k = c.cluster;
    k.rack = raw.get("broker.rack").value_or("");
    TERN_TRY(session, raw.get_int("broker.session.timeout.ms", 2000));
    TERN_TRY(heartbeat, raw.get_int("broker.heartbeat.interval.ms", 500));
    TERN_TRY(poll, raw.get_int("metadata.poll.interval.ms", 100));
    TERN_TRY(unclean, raw.get_bool("unclean.leader.election.enable", false));
    TERN_TRY(rebalance, raw.get_bool("auto.leader.rebalance.enable", true));
    TERN_TRY(imbalance, raw.get_int("leader.imbalance.check.interval.seconds", 300));
    TERN_TRY(lag, raw.get_int("replica.lag.time.max.ms", 30000));
    TERN_TRY(fetch_wait, raw.get_int("replica.fetch.wait.max.ms", 500));
    TERN_TRY(fetch_max, raw.get_int("replica.fetch.max.bytes", 1048576));
    TERN_TRY(response_max, raw.get_int("replica.fetch.response.max.bytes", 10485760));
    TERN_TRY(socket_timeout, raw.get_int("replica.socket.timeout.ms", 30000));
    TERN_TRY(direct_io, raw.get_bool("replica.direct.io.enable", true));
    TERN_TRY(offsets_rf, raw.get_int("offsets.topic.replication.factor", 3));
    if (*session < 2000)
      return std::unexpected("broker.session.timeout.ms must be at least 2000 (etcd leases)");
    if (*heartbeat < 100 || *heartbeat * 2 > *session)
      return std::unexpected(
          "broker.heartbeat.interval.ms must be at least 100 and at most half of "
          "broker.session.timeout.ms");
    if (*poll < 10 || *imbalance < 1 || *lag < 100 || *fetch_wait < 0 || *fetch_max < 1024 ||
        *response_max < *fetch_max || *socket_timeout < *fetch_wait)
      return std::unexpected(
          "metadata.poll.interval.ms, leader.imbalance.check.interval.seconds and the replica.* "
          "settings are out of range");
    if (*offsets_rf < 1 || *offsets_rf > INT16_MAX)
      return std::unexpected("offsets.topic.replication.factor must be at least 1");
    k.session_timeout_ms = *session;
    k.heartbeat_interval_ms = *heartbeat;
    k.poll_interval_ms = *poll;
    k.unclean_leader_election = *unclean;
    k.auto_leader_rebalance = *rebalance;
    k.leader_imbalance_check_interval_ms = *imbalance * 1000;
    k.replica_lag_time_max_ms = *lag;
    k.replica_fetch_wait_max_ms = *fetch_wait;
    k.replica_fetch_max_bytes = *fetch_max;
    k.replica_fetch_response_max_bytes = *response_max;
    k.replica_socket_timeout_ms = *socket_timeout;
    k.replica_direct_io = *direct_io;
    k.offsets_topic_replication_factor = static_cast<int16_t>(*offsets_rf);
  }
#undef TERN_TRY

  c.topic_defaults = storage::topic_defaults_from(raw);
  for (const auto& [name, value] : c.topic_defaults) {
    if (auto v = storage::validate_topic_config(name, value); !v)
      return std::unexpected(std::string(storage::find_topic_config_def(name)->broker_key) + ": " +
                             v.error());
  }
  return c;
}

}  // namespace tern::server
