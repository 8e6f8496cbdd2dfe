// `tern perf produce|consume`: load generators in the manner of kafka-producer-perf-test and
// kafka-consumer-perf-test, reporting records/s, MB/s and latency percentiles.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/kafka_client.h"
#include "cli/latency_stats.h"

namespace tern::cli {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// ---- produce ----------------------------------------------------------------------------

struct produce_options {
  std::string bootstrap = "localhost:9092";
  std::string topic;
  long num_records = 0;
  int record_size = 100;
  double throughput = -1;
  std::vector<std::string> producer_props;
  std::string producer_config;
  int reporting_interval_ms = 5000;
};

struct produce_state {
  std::vector<clock_type::time_point> sent_at;
  latency_stats latencies;
  long acked = 0;
  long failed = 0;
  // Since the last periodic report.
  long window_count = 0;
  double window_latency_sum = 0;
  double window_latency_max = 0;
};

produce_state* current_produce = nullptr;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  produce_state& s = *current_produce;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (s.failed++ == 0)
      std::fprintf(stderr, "tern: delivery failed: %s\n", rd_kafka_err2str(m->err));
    return;
  }
  const auto index = reinterpret_cast<uintptr_t>(m->_private);
  const double ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - s.sent_at[index]).count();
  s.latencies.add(ms);
  ++s.acked;
  ++s.window_count;
  s.window_latency_sum += ms;
  s.window_latency_max = std::max(s.window_latency_max, ms);
}

void use_perf_delivery(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
}

int run_produce(const produce_options& o) {
  std::map<std::string, std::string> props;
  try {
    if (!o.producer_config.empty()) props = read_properties_file(o.producer_config);
    for (const auto& [k, v] : parse_properties(o.producer_props)) props[k] = v;
  } catch (const std::invalid_argument& e) {
    die(e.what());
  }
  if (o.num_records <= 0) die("--num-records must be positive");
  if (o.record_size <= 0) die("--record-size must be positive");
  produce_state state;
  state.sent_at.resize(static_cast<size_t>(o.num_records));
  current_produce = &state;
  auto rk = make_client(RD_KAFKA_PRODUCER, o.bootstrap, props, use_perf_delivery);

  // Random printable payload, as the Kafka tool uses, so compression has realistic input.
  std::string payload(static_cast<size_t>(o.record_size), 'x');
  std::mt19937 rng(42);
  for (auto& c : payload) c = static_cast<char>('A' + rng() % 26);

  const auto start = clock_type::now();
  auto window_start = start;
  for (long i = 0; i < o.num_records; ++i) {
    if (o.throughput > 0) {
      // Wait by serving delivery reports, so each latency is taken when the broker's answer
      // arrives rather than at the next poll.
      const double due = static_cast<double>(i) / o.throughput;
      for (double ahead = due - seconds_since(start); ahead > 0.0005;
           ahead = due - seconds_since(start))
        rd_kafka_poll(rk.get(), std::max(1, static_cast<int>(ahead * 1000)));
    }
    state.sent_at[static_cast<size_t>(i)] = clock_type::now();
    for (;;) {
      auto e = rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(o.topic.c_str()),
                                 RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(uintptr_t(i))),
                                 RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk.get(), 1);
        continue;
      }
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("produce: ") + rd_kafka_err2str(e));
      break;
    }
    // Often enough that a delivery report waits well under a millisecond to be counted.
    if ((i & 63) == 0) rd_kafka_poll(rk.get(), 0);
    if (o.reporting_interval_ms > 0 &&
        seconds_since(window_start) * 1000 >= o.reporting_interval_ms) {
      const double secs = seconds_since(window_start);
      std::printf(
          "%ld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, "
          "%.1f ms max latency.\n",
          state.window_count, state.window_count / secs,
          state.window_count * o.record_size / secs / (1024.0 * 1024.0),
          state.window_count ? state.window_latency_sum / state.window_count : 0.0,
          state.window_latency_max);
      std::fflush(stdout);
      state.window_count = 0;
      state.window_latency_sum = state.window_latency_max = 0;
      window_start = clock_type::now();
    }
  }
  rd_kafka_flush(rk.get(), 120000);
  const double secs = seconds_since(start);
  const double rate = state.acked / secs;
  std::printf(
      "%ld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max "
      "latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
      state.acked, rate, rate * o.record_size / (1024.0 * 1024.0), state.latencies.average(),
      state.latencies.max(), state.latencies.percentile(50), state.latencies.percentile(95),
      state.latencies.percentile(99), state.latencies.percentile(99.9));
  if (state.failed > 0) {
    std::fprintf(stderr, "tern: %ld records failed\n", state.failed);
    return 1;
  }
  return 0;
}

// ---- consume ----------------------------------------------------------------------------

struct consume_options {
  std::string bootstrap = "localhost:9092";
  std::string topic;
  long messages = 0;
  int timeout_ms = 10000;
  std::vector<std::string> consumer_props;
  std::string consumer_config;
  std::string group;
};

int run_consume(const consume_options& o) {
  std::map<std::string, std::string> props;
  try {
    if (!o.consumer_config.empty()) props = read_properties_file(o.consumer_config);
    for (const auto& [k, v] : parse_properties(o.consumer_props)) props[k] = v;
  } catch (const std::invalid_argument& e) {
    die(e.what());
  }
  if (o.messages <= 0) die("--messages must be positive");
  props["group.id"] = o.group.empty() ? "tern-perf-consumer" : o.group;
  if (o.group.empty()) props["enable.auto.commit"] = "false";
  props.emplace("auto.offset.reset", "earliest");
  auto rk = make_client(RD_KAFKA_CONSUMER, o.bootstrap, props);
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  if (!o.group.empty()) {
    rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk.get(), parts);
  } else {
    const int n = partition_count(rk.get(), o.topic);
    for (int p = 0; p < n; ++p)
      rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk.get(), parts);
  }
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk.get());

  const auto start = clock_type::now();
  auto first = start;
  auto last_record = start;
  long count = 0;
  uint64_t bytes = 0;
  std::vector<rd_kafka_message_t*> batch(10000);
  while (count < o.messages) {
    const ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch.data(), batch.size());
    if (n <= 0) {
      if (std::chrono::duration<double, std::milli>(clock_type::now() - last_record).count() >
          o.timeout_ms) {
        std::fprintf(stderr, "tern: no record for %d ms; consumed %ld of %ld\n", o.timeout_ms,
                     count, o.messages);
        break;
      }
      continue;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && count < o.messages) {
        if (count == 0) first = clock_type::now();
        ++count;
        bytes += m->len;
      }
      rd_kafka_message_destroy(m);
    }
    last_record = clock_type::now();
  }
  const double total = seconds_since(start);
  const double fetch = std::chrono::duration<double>(last_record - first).count();
  const double mb = bytes / (1024.0 * 1024.0);
  std::printf(
      "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
      "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
  std::printf("0, %.0f, %.4f, %.4f, %ld, %.4f, %.0f, %.0f, %.4f, %.4f\n", total * 1000, mb,
              mb / total, count, count / total,
              std::chrono::duration<double, std::milli>(first - start).count(), fetch * 1000,
              fetch > 0 ? mb / fetch : 0.0, fetch > 0 ? count / fetch : 0.0);
  // Wall-clock times of the first and last record, so runs of several consumers can be
  // combined into one rate; the summary line stays last, as scripts read it.
  auto epoch_ms = [&](clock_type::time_point t) {
    const auto wall = std::chrono::system_clock::now() - (clock_type::now() - t);
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  };
  std::printf("first.record.epoch.ms=%lld last.record.epoch.ms=%lld\n",
              static_cast<long long>(epoch_ms(first)),
              static_cast<long long>(epoch_ms(last_record)));
  std::printf("%ld records consumed, %.1f records/sec (%.2f MB/sec)\n", count,
              fetch > 0 ? count / fetch : 0.0, fetch > 0 ? mb / fetch : 0.0);
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(rk.get());
  return count == o.messages ? 0 : 1;
}

}  // namespace

std::function<int()> add_perf_command(CLI::App& app) {
  CLI::App* perf = app.add_subcommand("perf", "Load generators: produce and consume");
  perf->require_subcommand(1);
  auto po = std::make_shared<produce_options>();
  CLI::App* p = perf->add_subcommand("produce", "Like kafka-producer-perf-test");
  p->add_option("--bootstrap-server", po->bootstrap, "host:port of a broker");
  p->add_option("--topic", po->topic, "Topic")->required();
  p->add_option("--num-records", po->num_records, "Records to send")->required();
  p->add_option("--record-size", po->record_size, "Bytes per record value");
  p->add_option("--throughput", po->throughput, "Records/s cap; -1 for none");
  p->add_option("--producer-props", po->producer_props, "Producer config key=value ...");
  p->add_option("--producer.config", po->producer_config, "Producer config file");
  p->add_option("--reporting-interval", po->reporting_interval_ms, "ms between progress lines");
  auto co = std::make_shared<consume_options>();
  CLI::App* c = perf->add_subcommand("consume", "Like kafka-consumer-perf-test");
  c->add_option("--bootstrap-server", co->bootstrap, "host:port of a broker");
  c->add_option("--topic", co->topic, "Topic")->required();
  c->add_option("--messages", co->messages, "Records to consume")->required();
  c->add_option("--timeout", co->timeout_ms, "ms without records before giving up");
  c->add_option("--consumer-props", co->consumer_props, "Consumer config key=value ...");
  c->add_option("--consumer.config", co->consumer_config, "Consumer config file");
  c->add_option("--group", co->group, "Consumer group (default: assign all partitions)");
  return [p, c, po, co]() {
    if (p->parsed()) return run_produce(*po);
    if (c->parsed()) return run_consume(*co);
    return 2;
  };
}

}  // namespace tern::cli
