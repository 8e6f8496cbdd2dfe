// Recording and exposing the broker's metrics.
#include "broker/admin/broker_metrics.h"

#include <dirent.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace tern::admin {

namespace {

// Request latencies from 0.1 ms to 10 s.
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
  return b;
}

}  // namespace

broker_metrics::broker_metrics(bool enabled)
    : enabled_(enabled),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("tern_requests_total")
                    .Help("Kafka requests served, by API and version")
                    .Register(*registry_)),
      errors_(prometheus::BuildCounter()
                  .Name("tern_request_errors_total")
                  .Help("Error codes returned in responses (per partition, group or resource), by "
                        "API and Kafka error name")
                  .Register(*registry_)),
      queue_time_(prometheus::BuildHistogram()
                      .Name("tern_request_queue_seconds")
                      .Help("Time from a request being read to its handler starting, by API")
                      .Register(*registry_)),
      total_time_(prometheus::BuildHistogram()
                      .Name("tern_request_duration_seconds")
                      .Help("Time from a request being read to its response being written (long "
                            "polls included), by API")
                      .Register(*registry_)),
      bytes_in_(prometheus::BuildCounter()
                    .Name("tern_topic_bytes_in_total")
                    .Help("Record batch bytes appended by producers, by topic")
                    .Register(*registry_)),
      records_in_(prometheus::BuildCounter()
                      .Name("tern_topic_records_in_total")
                      .Help("Records appended by producers, by topic")
                      .Register(*registry_)),
      bytes_out_(prometheus::BuildCounter()
                     .Name("tern_topic_bytes_out_total")
                     .Help("Record batch bytes sent to consumers and followers, by topic")
                     .Register(*registry_)),
      records_out_(prometheus::BuildCounter()
                       .Name("tern_topic_records_out_total")
                       .Help("Records sent to consumers and followers, by topic")
                       .Register(*registry_)),
      connections_(prometheus::BuildGauge()
                       .Name("tern_connections")
                       .Help("Open Kafka client connections")
                       .Register(*registry_)
                       .Add({})),
      connections_accepted_(prometheus::BuildCounter()
                                .Name("tern_connections_accepted_total")
                                .Help("Kafka client connections accepted")
                                .Register(*registry_)
                                .Add({})),
      fsync_(prometheus::BuildHistogram()
                 .Name("tern_fsync_duration_seconds")
                 .Help("Time taken by fsync of segment files (flush.messages, flush.ms, shutdown)")
                 .Register(*registry_)
                 .Add({}, latency_buckets())) {}

broker_metrics::api_series& broker_metrics::api(int16_t key, std::string_view name) {
  auto it = apis_.find(key);
  if (it != apis_.end()) return it->second;
  api_series& s = apis_[key];
  const std::string api(name);
  s.queue = &queue_time_.Add({{"api", api}}, latency_buckets());
  s.total = &total_time_.Add({{"api", api}}, latency_buckets());
  return s;
}

void broker_metrics::on_request(int16_t api_key, std::string_view api_name, int16_t version,
                                double queue_s, double total_s) {
  if (!enabled_) return;
  api_series& s = api(api_key, api_name);
  auto v = s.by_version.find(version);
  if (v == s.by_version.end())
    v = s.by_version
            .emplace(version, &requests_.Add({{"api", std::string(api_name)},
                                              {"version", std::to_string(version)}}))
            .first;
  v->second->Increment();
  s.queue->Observe(queue_s);
  s.total->Observe(total_s);
}

void broker_metrics::on_error(int16_t api_key, std::string_view api_name,
                              std::string_view error_name) {
  if (!enabled_) return;
  api_series& s = api(api_key, api_name);
  auto it = s.errors.find(std::string(error_name));
  if (it == s.errors.end())
    it = s.errors
             .emplace(std::string(error_name), &errors_.Add({{"api", std::string(api_name)},
                                                             {"error", std::string(error_name)}}))
             .first;
  it->second->Increment();
}

broker_metrics::topic_counters& broker_metrics::topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  const prometheus::Labels labels{{"topic", name}};
  return topics_
      .emplace(name, topic_counters{&bytes_in_.Add(labels), &records_in_.Add(labels),
                                    &bytes_out_.Add(labels), &records_out_.Add(labels)})
      .first->second;
}

void broker_metrics::connection_opened() {
  connections_.Increment();
  connections_accepted_.Increment();
}

void broker_metrics::connection_closed() {
  connections_.Decrement();
}

void broker_metrics::observe_fsync(double seconds) {
  fsync_.Observe(seconds);
}

std::string broker_metrics::scrape() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& c : collectors_) c(families);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

prometheus::MetricFamily gauge_family(std::string name, std::string help) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  return f;
}

prometheus::MetricFamily counter_family(std::string name, std::string help) {
  prometheus::MetricFamily f = gauge_family(std::move(name), std::move(help));
  f.type = prometheus::MetricType::Counter;
  return f;
}

void add_sample(prometheus::MetricFamily& family,
                std::vector<std::pair<std::string, std::string>> labels, double value) {
  prometheus::ClientMetric m;
  for (auto& [k, v] : labels) m.label.push_back({std::move(k), std::move(v)});
  if (family.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  family.metric.push_back(std::move(m));
}

void collect_process_metrics(std::vector<prometheus::MetricFamily>& out) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, rss 24.
  auto field = [&](size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };
  auto cpu = counter_family("process_cpu_seconds_total", "User and system CPU time spent");
  add_sample(cpu, {}, (field(14) + field(15)) / ticks);
  out.push_back(std::move(cpu));
  auto rss = gauge_family("process_resident_memory_bytes", "Resident memory size");
  add_sample(rss, {}, field(24) * page);
  out.push_back(std::move(rss));

  double boot = 0;
  std::ifstream sys("/proc/stat");
  for (std::string l; std::getline(sys, l);)
    if (l.rfind("btime ", 0) == 0) boot = std::stod(l.substr(6));
  auto start = gauge_family("process_start_time_seconds", "Start time since the epoch");
  add_sample(start, {}, boot + field(22) / ticks);
  out.push_back(std::move(start));

  size_t fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++fds;
    ::closedir(d);
  }
  auto open = gauge_family("process_open_fds", "Open file descriptors");
  add_sample(open, {}, static_cast<double>(fds >= 3 ? fds - 3 : 0));  // ., .., the dir itself
  out.push_back(std::move(open));
}

}  // namespace tern::admin
