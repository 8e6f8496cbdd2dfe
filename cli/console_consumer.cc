// `tern console-consumer`: print records to stdout (kafka-console-consumer.sh).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/kafka_client.h"

namespace tern::cli {

namespace {

struct consumer_options {
  std::string bootstrap = "localhost:9092";
  std::string topic;
  std::string group;
  bool from_beginning = false;
  int partition = -1;
  std::string offset = "latest";
  long max_messages = -1;
  int timeout_ms = -1;
  std::vector<std::string> properties;
  std::vector<std::string> consumer_properties;
  std::string consumer_config;
};

volatile std::sig_atomic_t interrupted = 0;

struct print_format {
  bool key = false, value = true, timestamp = false, partition = false, offset = false;
  std::string key_separator = "\t";
  std::string line_separator = "\n";
};

std::string field(const void* data, size_t len) {
  if (data == nullptr) return "null";
  return std::string(static_cast<const char*>(data), len);
}

void print(const rd_kafka_message_t* m, const print_format& f) {
  std::string out;
  auto add = [&](const std::string& s) {
    if (!out.empty()) out += f.key_separator;
    out += s;
  };
  if (f.timestamp) {
    rd_kafka_timestamp_type_t type;
    const int64_t ts = rd_kafka_message_timestamp(m, &type);
    const char* name = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? "LogAppendTime"
                       : type == RD_KAFKA_TIMESTAMP_CREATE_TIME   ? "CreateTime"
                                                                  : "NO_TIMESTAMP";
    add(std::string(name) + ":" + std::to_string(ts));
  }
  if (f.partition) add("Partition:" + std::to_string(m->partition));
  if (f.offset) add("Offset:" + std::to_string(m->offset));
  if (f.key) add(field(m->key, m->key_len));
  if (f.value) add(field(m->payload, m->len));
  out += f.line_separator;
  std::fwrite(out.data(), 1, out.size(), stdout);
}

int64_t start_offset(const consumer_options& o) {
  if (o.from_beginning || o.offset == "earliest") return RD_KAFKA_OFFSET_BEGINNING;
  if (o.offset == "latest") return RD_KAFKA_OFFSET_END;
  try {
    return std::stoll(o.offset);
  } catch (...) {
    die("--offset must be earliest, latest or a number, got " + o.offset);
  }
}

}  // namespace

std::function<int()> add_console_consumer_command(CLI::App& app) {
  auto o = std::make_shared<consumer_options>();
  CLI::App* sub = app.add_subcommand("console-consumer", "Print records to stdout");
  sub->add_option("--bootstrap-server", o->bootstrap, "host:port of a broker")->required();
  sub->add_option("--topic", o->topic, "Topic to read")->required();
  sub->add_option("--group", o->group, "Consumer group (subscribe, commit offsets)");
  sub->add_flag("--from-beginning", o->from_beginning, "Start at the earliest offset");
  sub->add_option("--partition", o->partition, "Read only this partition");
  sub->add_option("--offset", o->offset, "earliest, latest or an offset (with --partition)");
  sub->add_option("--max-messages", o->max_messages, "Exit after this many records");
  sub->add_option("--timeout-ms", o->timeout_ms, "Exit when no record arrives for this long");
  sub->add_option("--property", o->properties,
                  "print.key, print.value, print.timestamp, print.partition, print.offset, "
                  "key.separator, line.separator (repeatable)");
  sub->add_option("--consumer-property", o->consumer_properties,
                  "Consumer config key=value (repeatable)");
  sub->add_option("--consumer.config", o->consumer_config, "Consumer config file");
  return [o]() {
    std::map<std::string, std::string> fmt_props, client;
    try {
      fmt_props = parse_properties(o->properties);
      if (!o->consumer_config.empty()) client = read_properties_file(o->consumer_config);
      for (const auto& [k, v] : parse_properties(o->consumer_properties)) client[k] = v;
    } catch (const std::invalid_argument& e) {
      die(e.what());
    }
    if (o->from_beginning && o->offset != "latest")
      die("Options from-beginning and offset cannot be specified together.");
    if (o->offset != "latest" && o->partition < 0)
      die("The partition is required when offset is specified.");
    print_format f;
    auto flag = [&](const char* k, bool& v) {
      if (fmt_props.contains(k)) v = fmt_props[k] == "true";
    };
    flag("print.key", f.key);
    flag("print.value", f.value);
    flag("print.timestamp", f.timestamp);
    flag("print.partition", f.partition);
    flag("print.offset", f.offset);
    if (fmt_props.contains("key.separator")) f.key_separator = fmt_props["key.separator"];
    if (fmt_props.contains("line.separator")) f.line_separator = fmt_props["line.separator"];

    const bool grouped = !o->group.empty();
    // Without --group the consumer assigns partitions itself and commits nothing; librdkafka
    // still wants a group id for assign().
    client["group.id"] = grouped ? o->group : "tern-console-consumer";
    if (!grouped) client["enable.auto.commit"] = "false";
    client["auto.offset.reset"] =
        (o->from_beginning || o->offset == "earliest") ? "earliest" : "latest";
    auto rk = make_client(RD_KAFKA_CONSUMER, o->bootstrap, client);
    rd_kafka_poll_set_consumer(rk.get());
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    if (grouped) {
      rd_kafka_topic_partition_list_add(parts, o->topic.c_str(), RD_KAFKA_PARTITION_UA);
      if (auto e = rd_kafka_subscribe(rk.get(), parts); e != RD_KAFKA_RESP_ERR_NO_ERROR)
        die(std::string("subscribe: ") + rd_kafka_err2str(e));
    } else {
      const int n = partition_count(rk.get(), o->topic);
      const int64_t start = start_offset(*o);
      for (int p = 0; p < n; ++p) {
        if (o->partition >= 0 && p != o->partition) continue;
        rd_kafka_topic_partition_list_add(parts, o->topic.c_str(), p)->offset = start;
      }
      if (parts->cnt == 0) die("partition " + std::to_string(o->partition) + " does not exist");
      if (auto e = rd_kafka_assign(rk.get(), parts); e != RD_KAFKA_RESP_ERR_NO_ERROR)
        die(std::string("assign: ") + rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(parts);

    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
    long count = 0;
    auto last = std::chrono::steady_clock::now();
    int status = 0;
    while (!interrupted && (o->max_messages < 0 || count < o->max_messages)) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
      if (m == nullptr) {
        if (o->timeout_ms >= 0 &&
            std::chrono::steady_clock::now() - last > std::chrono::milliseconds(o->timeout_ms))
          break;
        continue;
      }
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "tern: %s\n", rd_kafka_message_errstr(m));
        const bool fatal = m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                           m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        rd_kafka_message_destroy(m);
        if (fatal) {
          status = 1;
          break;
        }
        continue;
      }
      print(m, f);
      ++count;
      last = std::chrono::steady_clock::now();
      rd_kafka_message_destroy(m);
    }
    std::fflush(stdout);
    rd_kafka_consumer_close(rk.get());
    std::fprintf(stderr, "Processed a total of %ld messages\n", count);
    return status;
  };
}

}  // namespace tern::cli
