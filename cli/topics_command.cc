// `tern topics`: create, list, describe, alter and delete topics (kafka-topics.sh).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/kafka_client.h"

namespace tern::cli {

namespace {

struct topics_options {
  std::string bootstrap = "localhost:9092";
  bool create = false, list = false, describe = false, remove = false, alter = false;
  std::string topic;
  int partitions = -1;
  int replication_factor = -1;
  std::vector<std::string> configs;
  std::vector<std::string> delete_configs;
  bool if_not_exists = false;
  bool if_exists = false;
  std::string command_config;
  int timeout_ms = 30000;
};

std::vector<std::string> all_topics(rd_kafka_t* rk, int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  auto e = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("metadata: ") + rd_kafka_err2str(e));
  std::vector<std::string> names;
  for (int i = 0; i < md->topic_cnt; ++i) names.emplace_back(md->topics[i].topic);
  rd_kafka_metadata_destroy(md);
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, std::string> topic_overrides(rd_kafka_t* rk, rd_kafka_queue_t* q,
                                                   const std::string& topic, int timeout_ms) {
  rd_kafka_ConfigResource_t* res =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
  rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_ConfigResource_destroy(res);
  rd_kafka_event_t* ev = await_admin_result(q, timeout_ms);
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string why = rd_kafka_ConfigResource_error_string(results[i]);
      rd_kafka_event_destroy(ev);
      die(why);
    }
    size_t cn = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(results[i], &cn);
    for (size_t k = 0; k < cn; ++k) {
      if (rd_kafka_ConfigEntry_source(entries[k]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
        continue;
      const char* v = rd_kafka_ConfigEntry_value(entries[k]);
      out[rd_kafka_ConfigEntry_name(entries[k])] = v ? v : "";
    }
  }
  rd_kafka_event_destroy(ev);
  return out;
}

int create(rd_kafka_t* rk, rd_kafka_queue_t* q, const topics_options& o) {
  char err[512];
  rd_kafka_NewTopic_t* t =
      rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication_factor, err, sizeof err);
  if (t == nullptr) die(err);
  for (const auto& [k, v] : parse_properties(o.configs))
    rd_kafka_NewTopic_set_config(t, k.c_str(), v.c_str());
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, o.timeout_ms);
  rd_kafka_CreateTopics(rk, &t, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(t);
  rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
  size_t n = 0;
  const rd_kafka_topic_result_t** r =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(r[i]);
    if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && o.if_not_exists) continue;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(r[i]);
      std::fprintf(stderr, "Error while executing topic command : %s\n",
                   msg ? msg : rd_kafka_err2str(e));
      status = 1;
    } else {
      std::printf("Created topic %s.\n", rd_kafka_topic_result_name(r[i]));
    }
  }
  rd_kafka_event_destroy(ev);
  return status;
}

int remove(rd_kafka_t* rk, rd_kafka_queue_t* q, const topics_options& o) {
  rd_kafka_DeleteTopic_t* t = rd_kafka_DeleteTopic_new(o.topic.c_str());
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, o.timeout_ms);
  rd_kafka_DeleteTopics(rk, &t, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_DeleteTopic_destroy(t);
  rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
  size_t n = 0;
  const rd_kafka_topic_result_t** r =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    auto e = rd_kafka_topic_result_error(r[i]);
    if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && o.if_exists) continue;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr,
                   "Error while executing topic command : Topic '%s' does not exist as "
                   "expected (%s)\n",
                   o.topic.c_str(), rd_kafka_err2str(e));
      status = 1;
    }
  }
  rd_kafka_event_destroy(ev);
  return status;
}

int alter(rd_kafka_t* rk, rd_kafka_queue_t* q, const topics_options& o) {
  const auto names = all_topics(rk, o.timeout_ms);
  if (std::find(names.begin(), names.end(), o.topic) == names.end()) {
    if (o.if_exists) return 0;
    die("Topic '" + o.topic + "' does not exist as expected");
  }
  if (o.partitions > 0) {
    char err[512];
    rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(
        o.topic.c_str(), static_cast<size_t>(o.partitions), err, sizeof err);
    if (np == nullptr) die(err);
    auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, o.timeout_ms);
    rd_kafka_CreatePartitions(rk, &np, 1, opts, q);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
    size_t n = 0;
    const rd_kafka_topic_result_t** r =
        rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_topic_result_error(r[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string why = rd_kafka_topic_result_error_string(r[i]);
        rd_kafka_event_destroy(ev);
        die("Error while executing topic command : " + why);
      }
    }
    rd_kafka_event_destroy(ev);
  }
  if (!o.configs.empty() || !o.delete_configs.empty()) {
    // AlterConfigs replaces every override, so start from the current ones.
    auto overrides = topic_overrides(rk, q, o.topic, o.timeout_ms);
    for (const auto& [k, v] : parse_properties(o.configs)) overrides[k] = v;
    for (const auto& k : o.delete_configs) overrides.erase(k);
    rd_kafka_ConfigResource_t* res =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, o.topic.c_str());
    for (const auto& [k, v] : overrides)
      rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
    auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, o.timeout_ms);
    rd_kafka_AlterConfigs(rk, &res, 1, opts, q);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
    size_t n = 0;
    const rd_kafka_ConfigResource_t** r =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_ConfigResource_error(r[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string why = rd_kafka_ConfigResource_error_string(r[i]);
        rd_kafka_event_destroy(ev);
        die("Error while executing topic command : " + why);
      }
    }
    rd_kafka_event_destroy(ev);
  }
  return 0;
}

std::string join_ids(const int32_t* ids, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

int describe(rd_kafka_t* rk, rd_kafka_queue_t* q, const topics_options& o) {
  const rd_kafka_metadata_t* md = nullptr;
  auto e = rd_kafka_metadata(rk, 1, nullptr, &md, o.timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("metadata: ") + rd_kafka_err2str(e));
  std::vector<const rd_kafka_metadata_topic_t*> topics;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (o.topic.empty() || o.topic == md->topics[i].topic) topics.push_back(&md->topics[i]);
  std::sort(topics.begin(), topics.end(),
            [](auto* a, auto* b) { return std::string(a->topic) < b->topic; });
  if (topics.empty() && !o.topic.empty() && !o.if_exists) {
    rd_kafka_metadata_destroy(md);
    die("Topic '" + o.topic + "' does not exist as expected");
  }
  for (const auto* t : topics) {
    std::string configs;
    for (const auto& [k, v] : topic_overrides(rk, q, t->topic, o.timeout_ms))
      configs += (configs.empty() ? "" : ",") + k + "=" + v;
    const int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    std::printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n", t->topic,
                t->partition_cnt, rf, configs.c_str());
    std::vector<const rd_kafka_metadata_partition_t*> parts;
    for (int p = 0; p < t->partition_cnt; ++p) parts.push_back(&t->partitions[p]);
    std::sort(parts.begin(), parts.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (const auto* p : parts)
      std::printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: %s\tIsr: %s\n", t->topic,
                  p->id, p->leader, join_ids(p->replicas, p->replica_cnt).c_str(),
                  join_ids(p->isrs, p->isr_cnt).c_str());
  }
  rd_kafka_metadata_destroy(md);
  return 0;
}

}  // namespace

std::function<int()> add_topics_command(CLI::App& app) {
  auto o = std::make_shared<topics_options>();
  CLI::App* sub = app.add_subcommand("topics", "Create, list, describe, alter and delete topics");
  sub->add_option("--bootstrap-server", o->bootstrap, "host:port of a broker")->required();
  sub->add_flag("--create", o->create, "Create a topic");
  sub->add_flag("--list", o->list, "List topic names");
  sub->add_flag("--describe", o->describe, "Describe topics (all, or --topic)");
  sub->add_flag("--delete", o->remove, "Delete a topic");
  sub->add_flag("--alter", o->alter, "Add partitions or change configs");
  sub->add_option("--topic", o->topic, "Topic name");
  sub->add_option("--partitions", o->partitions, "Partition count (create) or new total (alter)");
  sub->add_option("--replication-factor", o->replication_factor, "Replicas per partition");
  sub->add_option("--config", o->configs, "Topic config key=value (repeatable)");
  sub->add_option("--delete-config", o->delete_configs, "Topic config to remove (alter)");
  sub->add_flag("--if-not-exists", o->if_not_exists, "With --create: no error if it exists");
  sub->add_flag("--if-exists", o->if_exists, "With --alter/--delete/--describe: skip if absent");
  sub->add_option("--command-config", o->command_config, "Client properties file");
  sub->add_option("--timeout", o->timeout_ms, "Request timeout in ms");
  return [o]() {
    const int actions = o->create + o->list + o->describe + o->remove + o->alter;
    if (actions != 1)
      die("exactly one of --create, --list, --describe, --alter or --delete is required");
    if ((o->create || o->remove || o->alter) && o->topic.empty())
      die("--topic is required with --create, --alter and --delete");
    std::map<std::string, std::string> props;
    if (!o->command_config.empty()) props = read_properties_file(o->command_config);
    try {
      parse_properties(o->configs);
    } catch (const std::invalid_argument& e) {
      die(std::string("--config: ") + e.what());
    }
    auto rk = make_client(RD_KAFKA_PRODUCER, o->bootstrap, props);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
    int status = 0;
    if (o->list) {
      for (const auto& n : all_topics(rk.get(), o->timeout_ms)) std::printf("%s\n", n.c_str());
    } else if (o->create) {
      status = create(rk.get(), q, *o);
    } else if (o->remove) {
      status = remove(rk.get(), q, *o);
    } else if (o->alter) {
      status = alter(rk.get(), q, *o);
    } else {
      status = describe(rk.get(), q, *o);
    }
    rd_kafka_queue_destroy(q);
    return status;
  };
}

}  // namespace tern::cli
