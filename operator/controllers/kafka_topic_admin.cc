// Kafka admin requests through librdkafka, with errors returned instead of raised.
#include "operator/controllers/kafka_topic_admin.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <vector>

namespace tern::op::controllers {

namespace {

bool is_unreachable(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
      return true;
    default:
      return false;
  }
}

kafka_error error_of(rd_kafka_resp_err_t e, const char* message) {
  return {rd_kafka_err2name(e), message != nullptr && *message ? message : rd_kafka_err2str(e),
          is_unreachable(e)};
}

// The first failed topic of a CreateTopics/CreatePartitions/DeleteTopics result, if any.
std::expected<void, kafka_error> first_topic_error(const rd_kafka_topic_result_t** topics,
                                                   size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(topics[i]);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return std::unexpected(error_of(e, rd_kafka_topic_result_error_string(topics[i])));
  }
  return {};
}

struct event_deleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

}  // namespace

std::expected<std::unique_ptr<kafka_topic_admin>, std::string> kafka_topic_admin::connect(
    const std::string& bootstrap, std::chrono::milliseconds timeout) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::vector<std::pair<const char*, std::string>> settings = {
      {"bootstrap.servers", bootstrap},
      {"client.id", "tern-operator"},
      {"socket.timeout.ms", std::to_string(timeout.count())},
  };
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return std::unexpected(std::string(k) + ": " + err);
    }
  }
  // librdkafka's own log lines (connection refused, ...) go to the operator's log at debug
  // level; what matters reaches the resource's status.
  rd_kafka_conf_set_log_cb(conf,
                           [](const rd_kafka_t*, int, const char* facility, const char* line) {
                             spdlog::debug("kafka client {}: {}", facility, line);
                           });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return std::unexpected(std::string("kafka client: ") + err);
  }
  return std::unique_ptr<kafka_topic_admin>(new kafka_topic_admin(rk, bootstrap, timeout));
}

kafka_topic_admin::kafka_topic_admin(rd_kafka_t* rk, std::string bootstrap,
                                     std::chrono::milliseconds timeout)
    : rk_(rk), bootstrap_(std::move(bootstrap)), timeout_(timeout) {}

kafka_topic_admin::~kafka_topic_admin() {
  rd_kafka_destroy(rk_);
}

std::optional<kafka_error> kafka_topic_admin::recently_unreachable() const {
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() < unreachable_until_) return last_unreachable_;
  return std::nullopt;
}

kafka_error kafka_topic_admin::remember(kafka_error e) {
  if (e.unreachable) {
    std::lock_guard lock(mutex_);
    unreachable_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    last_unreachable_ = e;
  }
  return e;
}

rd_kafka_AdminOptions_t* kafka_topic_admin::options(rd_kafka_admin_op_t op) const {
  rd_kafka_AdminOptions_t* o = rd_kafka_AdminOptions_new(rk_, op);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(o, static_cast<int>(timeout_.count()), err, sizeof err);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS ||
      op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
    rd_kafka_AdminOptions_set_operation_timeout(o, static_cast<int>(timeout_.count()), err,
                                                sizeof err);
  return o;
}

std::expected<rd_kafka_event_t*, kafka_error> kafka_topic_admin::call(
    rd_kafka_admin_op_t op,
    const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& send) {
  if (auto e = recently_unreachable()) return std::unexpected(*e);
  // A result queue per request: requests from several workers run side by side, and each
  // waits for its own answer.
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
  rd_kafka_AdminOptions_t* o = options(op);
  send(o, queue);
  rd_kafka_AdminOptions_destroy(o);
  // librdkafka answers every request by its own timeout; the margin only guards against a bug.
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout_.count()) + 5000);
  rd_kafka_queue_destroy(queue);
  if (ev == nullptr)
    return std::unexpected(remember({"_TIMED_OUT", "no answer from " + bootstrap_, true}));
  if (auto e = rd_kafka_event_error(ev); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto error = remember(error_of(e, rd_kafka_event_error_string(ev)));
    rd_kafka_event_destroy(ev);
    return std::unexpected(error);
  }
  return ev;
}

std::expected<std::optional<topic_state>, kafka_error> kafka_topic_admin::describe(
    const std::string& topic) {
  // All topics: asking for one by name could create it where auto.create.topics.enable is on.
  if (auto known = recently_unreachable()) return std::unexpected(*known);
  const rd_kafka_metadata_t* md = nullptr;
  auto e = rd_kafka_metadata(rk_, 1, nullptr, &md, static_cast<int>(timeout_.count()));
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return std::unexpected(remember(error_of(e, nullptr)));
  std::optional<topic_state> state;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) break;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      auto error = error_of(t.err, nullptr);
      rd_kafka_metadata_destroy(md);
      return std::unexpected(error);
    }
    state = topic_state{t.partition_cnt, t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0, {}};
  }
  rd_kafka_metadata_destroy(md);
  if (!state) return std::optional<topic_state>{};

  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  auto ev = call(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                 [&](auto* o, auto* q) { rd_kafka_DescribeConfigs(rk_, &res, 1, o, q); });
  rd_kafka_ConfigResource_destroy(res);
  if (!ev) return std::unexpected(ev.error());
  event_ptr owned(*ev);
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(*ev), &n);
  for (size_t i = 0; i < n; ++i) {
    if (auto re = rd_kafka_ConfigResource_error(results[i]); re != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Deleted between the two requests.
      if (re == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return std::optional<topic_state>{};
      return std::unexpected(error_of(re, rd_kafka_ConfigResource_error_string(results[i])));
    }
    size_t cn = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(results[i], &cn);
    for (size_t k = 0; k < cn; ++k) {
      if (rd_kafka_ConfigEntry_source(entries[k]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
        continue;
      const char* v = rd_kafka_ConfigEntry_value(entries[k]);
      state->configs[rd_kafka_ConfigEntry_name(entries[k])] = v != nullptr ? v : "";
    }
  }
  return state;
}

std::expected<void, kafka_error> kafka_topic_admin::create(const std::string& topic,
                                                           int32_t partitions,
                                                           int32_t replication_factor,
                                                           const config_map& configs) {
  char err[512];
  rd_kafka_NewTopic_t* t =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, err, sizeof err);
  if (t == nullptr) return std::unexpected(kafka_error{"INVALID_REQUEST", err, false});
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(t, k.c_str(), v.c_str());
  auto ev = call(RD_KAFKA_ADMIN_OP_CREATETOPICS,
                 [&](auto* o, auto* q) { rd_kafka_CreateTopics(rk_, &t, 1, o, q); });
  rd_kafka_NewTopic_destroy(t);
  if (!ev) return std::unexpected(ev.error());
  event_ptr owned(*ev);
  size_t n = 0;
  auto** topics = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(*ev), &n);
  return first_topic_error(topics, n);
}

std::expected<void, kafka_error> kafka_topic_admin::add_partitions(const std::string& topic,
                                                                   int32_t total) {
  char err[512];
  rd_kafka_NewPartitions_t* p =
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), err, sizeof err);
  if (p == nullptr) return std::unexpected(kafka_error{"INVALID_REQUEST", err, false});
  auto ev = call(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
                 [&](auto* o, auto* q) { rd_kafka_CreatePartitions(rk_, &p, 1, o, q); });
  rd_kafka_NewPartitions_destroy(p);
  if (!ev) return std::unexpected(ev.error());
  event_ptr owned(*ev);
  size_t n = 0;
  auto** topics =
      rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(*ev), &n);
  return first_topic_error(topics, n);
}

std::expected<void, kafka_error> kafka_topic_admin::set_configs(const std::string& topic,
                                                                const config_map& configs) {
  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [k, v] : configs) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
  auto ev = call(RD_KAFKA_ADMIN_OP_ALTERCONFIGS,
                 [&](auto* o, auto* q) { rd_kafka_AlterConfigs(rk_, &res, 1, o, q); });
  rd_kafka_ConfigResource_destroy(res);
  if (!ev) return std::unexpected(ev.error());
  event_ptr owned(*ev);
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(*ev), &n);
  for (size_t i = 0; i < n; ++i) {
    if (auto e = rd_kafka_ConfigResource_error(results[i]); e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return std::unexpected(error_of(e, rd_kafka_ConfigResource_error_string(results[i])));
  }
  return {};
}

std::expected<void, kafka_error> kafka_topic_admin::remove(const std::string& topic) {
  rd_kafka_DeleteTopic_t* t = rd_kafka_DeleteTopic_new(topic.c_str());
  auto ev = call(RD_KAFKA_ADMIN_OP_DELETETOPICS,
                 [&](auto* o, auto* q) { rd_kafka_DeleteTopics(rk_, &t, 1, o, q); });
  rd_kafka_DeleteTopic_destroy(t);
  if (!ev) return std::unexpected(ev.error());
  event_ptr owned(*ev);
  size_t n = 0;
  auto** topics = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(*ev), &n);
  return first_topic_error(topics, n);
}

std::expected<std::map<std::string, int32_t>, kafka_error>
kafka_topic_admin::replication_factors() {
  if (auto known = recently_unreachable()) return std::unexpected(*known);
  const rd_kafka_metadata_t* md = nullptr;
  auto e = rd_kafka_metadata(rk_, 1, nullptr, &md, static_cast<int>(timeout_.count()));
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) return std::unexpected(remember(error_of(e, nullptr)));
  std::map<std::string, int32_t> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt > 0)
      out[t.topic] = t.partitions[0].replica_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

}  // namespace tern::op::controllers
