// `tern console-producer`: one record per stdin line (kafka-console-producer.sh).
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/kafka_client.h"

namespace tern::cli {

namespace {

struct producer_options {
  std::string bootstrap = "localhost:9092";
  std::string topic;
  std::vector<std::string> properties;
  std::vector<std::string> producer_properties;
  std::string producer_config;
  std::string compression;
  std::string acks;
};

int failed_deliveries = 0;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The first failures say why; the count at exit says how many.
    if (++failed_deliveries <= 5)
      std::fprintf(stderr, "tern: delivery failed: %s\n", rd_kafka_err2str(m->err));
  }
}

void use_delivery_callback(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
}

}  // namespace

std::function<int()> add_console_producer_command(CLI::App& app) {
  auto o = std::make_shared<producer_options>();
  CLI::App* sub = app.add_subcommand("console-producer", "Produce stdin lines as records");
  sub->add_option("--bootstrap-server,--broker-list", o->bootstrap, "host:port of a broker")
      ->required();
  sub->add_option("--topic", o->topic, "Topic to produce to")->required();
  sub->add_option("--property", o->properties,
                  "parse.key=true, key.separator=SEP, ignore.error=true (repeatable)");
  sub->add_option("--producer-property", o->producer_properties,
                  "Producer config key=value (repeatable)");
  sub->add_option("--producer.config", o->producer_config, "Producer config file");
  sub->add_option("--compression-codec", o->compression, "none, gzip, snappy, lz4 or zstd");
  sub->add_option("--request-required-acks", o->acks, "acks: 0, 1 or -1/all");
  return [o]() {
    std::map<std::string, std::string> reader, client;
    try {
      reader = parse_properties(o->properties);
      if (!o->producer_config.empty()) client = read_properties_file(o->producer_config);
      for (const auto& [k, v] : parse_properties(o->producer_properties)) client[k] = v;
    } catch (const std::invalid_argument& e) {
      die(e.what());
    }
    if (!o->compression.empty()) client["compression.codec"] = o->compression;
    if (!o->acks.empty()) client["acks"] = o->acks;
    const bool parse_key = reader["parse.key"] == "true";
    const std::string separator = reader.contains("key.separator") ? reader["key.separator"] : "\t";
    auto rk = make_client(RD_KAFKA_PRODUCER, o->bootstrap, client, use_delivery_callback);
    std::string line;
    int status = 0;
    while (std::getline(std::cin, line)) {
      std::string key, value = line;
      bool has_key = false;
      if (parse_key) {
        const size_t at = line.find(separator);
        if (at == std::string::npos) {
          std::fprintf(stderr, "tern: no key separator '%s' in line: %s\n", separator.c_str(),
                       line.c_str());
          if (reader["ignore.error"] != "true") {
            status = 1;
            break;
          }
          continue;
        }
        key = line.substr(0, at);
        value = line.substr(at + separator.size());
        has_key = true;
      }
      for (;;) {
        auto e = rd_kafka_producev(
            rk.get(), RD_KAFKA_V_TOPIC(o->topic.c_str()),
            RD_KAFKA_V_KEY(has_key ? key.data() : nullptr, has_key ? key.size() : 0),
            RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_poll(rk.get(), 100);
          continue;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("produce: ") + rd_kafka_err2str(e));
        break;
      }
      rd_kafka_poll(rk.get(), 0);
    }
    if (rd_kafka_flush(rk.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "tern: %d records were not delivered in time\n",
                   rd_kafka_outq_len(rk.get()));
      return 1;
    }
    if (failed_deliveries > 0)
      std::fprintf(stderr, "tern: %d records were not delivered\n", failed_deliveries);
    return (status != 0 || failed_deliveries > 0) ? 1 : 0;
  };
}

}  // namespace tern::cli
