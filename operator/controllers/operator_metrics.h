// tern-operator's Prometheus metrics; the names are the ones metrics/ (dashboards and alerts)
// and the README use.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>

namespace tern::op::controllers {

class operator_metrics {
 public:
  operator_metrics();

  // result: "success", "error" or "requeue" (done for now, to be looked at again soon).
  void reconciled(const std::string& controller, const std::string& result,
                  std::chrono::duration<double> took);
  void queue_depth(const std::string& controller, size_t depth);
  void watch_restarted(const std::string& resource);
  // Series at 0 for a controller's results and a resource's watch restarts, so that they exist
  // (with HELP and TYPE) before the first event and rate()/increase() see the first one.
  void declare_controller(const std::string& controller);
  void declare_watch(const std::string& resource);
  void leading(bool is_leader);

  // The Prometheus text format of every series.
  std::string scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reconciles_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Counter>& watch_restarts_;
  prometheus::Gauge& leader_;
};

}  // namespace tern::op::controllers
