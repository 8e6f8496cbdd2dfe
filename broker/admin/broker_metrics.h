// The broker's Prometheus metrics. Counters and histograms are recorded as requests are
// served (the hot path holds direct pointers, no label lookups); gauges that mirror state
// (offsets, sizes, groups, disk, process) are computed when /metrics is scraped.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tern::admin {

// How much per-partition detail the scrape carries: `partition` (every partition), `topic`
// (summed per topic, the default: a 1,000-partition broker stays in the hundreds of series)
// or `none`.
enum class partition_detail { none, topic, partition };

class broker_metrics {
 public:
  explicit broker_metrics(bool enabled);

  bool enabled() const { return enabled_; }

  // One served request: API name/key/version, time from frame read to handler start
  // (queue) and to response written (total).
  void on_request(int16_t api_key, std::string_view api_name, int16_t version, double queue_s,
                  double total_s);
  // One error code found in a response (per partition, per group, ...).
  void on_error(int16_t api_key, std::string_view api_name, std::string_view error_name);

  struct topic_counters {
    prometheus::Counter* bytes_in;
    prometheus::Counter* records_in;
    prometheus::Counter* bytes_out;
    prometheus::Counter* records_out;
  };
  topic_counters& topic(const std::string& name);

  void connection_opened();
  void connection_closed();
  void observe_fsync(double seconds);

  // Gauges computed at scrape time are added by these collectors.
  using collector = std::function<void(std::vector<prometheus::MetricFamily>&)>;
  void add_collector(collector c) { collectors_.push_back(std::move(c)); }

  // The Prometheus text exposition of everything.
  std::string scrape() const;

 private:
  struct api_series {
    std::map<int16_t, prometheus::Counter*> by_version;
    prometheus::Histogram* queue = nullptr;
    prometheus::Histogram* total = nullptr;
    std::unordered_map<std::string, prometheus::Counter*> errors;
  };
  api_series& api(int16_t key, std::string_view name);

  bool enabled_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Histogram>& queue_time_;
  prometheus::Family<prometheus::Histogram>& total_time_;
  prometheus::Family<prometheus::Counter>& bytes_in_;
  prometheus::Family<prometheus::Counter>& records_in_;
  prometheus::Family<prometheus::Counter>& bytes_out_;
  prometheus::Family<prometheus::Counter>& records_out_;
  prometheus::Gauge& connections_;
  prometheus::Counter& connections_accepted_;
  prometheus::Histogram& fsync_;
  std::map<int16_t, api_series> apis_;
  std::unordered_map<std::string, topic_counters> topics_;
  std::vector<collector> collectors_;
};

// Helpers for collectors: one family with labelled gauge or counter samples.
prometheus::MetricFamily gauge_family(std::string name, std::string help);
prometheus::MetricFamily counter_family(std::string name, std::string help);
void add_sample(prometheus::MetricFamily& family,
                std::vector<std::pair<std::string, std::string>> labels, double value);

// Standard process_* metrics read from /proc/self.
void collect_process_metrics(std::vector<prometheus::MetricFamily>& out);

}  // namespace tern::admin
