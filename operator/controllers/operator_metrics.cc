// Metric families of the operator.
#include "operator/controllers/operator_metrics.h"

#include <prometheus/text_serializer.h>

namespace tern::op::controllers {

operator_metrics::operator_metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      reconciles_(prometheus::BuildCounter()
                      .Name("tern_operator_reconcile_total")
                      .Help("Reconciles by controller and result (success, error, requeue)")
                      .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("tern_operator_reconcile_duration_seconds")
                     .Help("Time one reconcile took")
                     .Register(*registry_)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("tern_operator_queue_depth")
                       .Help("Keys waiting in a controller's work queue")
                       .Register(*registry_)),
      watch_restarts_(prometheus::BuildCounter()
                          .Name("tern_operator_watch_restarts_total")
                          .Help("Watch streams that ended and were opened again, by resource")
                          .Register(*registry_)),
      leader_(prometheus::BuildGauge()
                  .Name("tern_operator_leader")
                  .Help("1 while this operator replica holds the leader Lease")
                  .Register(*registry_)
                  .Add({})) {}

void operator_metrics::reconciled(const std::string& controller, const std::string& result,
                                  std::chrono::duration<double> took) {
  reconciles_.Add({{"controller", controller}, {"result", result}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  durations_.Add({{"controller", controller}}, kBuckets).Observe(took.count());
}

void operator_metrics::queue_depth(const std::string& controller, size_t depth) {
  queue_depth_.Add({{"controller", controller}}).Set(static_cast<double>(depth));
}

void operator_metrics::watch_restarted(const std::string& resource) {
  watch_restarts_.Add({{"resource", resource}}).Increment();
}

void operator_metrics::declare_controller(const std::string& controller) {
  for (const char* result : {"success", "error", "requeue"})
    reconciles_.Add({{"controller", controller}, {"result", result}});
  queue_depth_.Add({{"controller", controller}});
}

void operator_metrics::declare_watch(const std::string& resource) {
  watch_restarts_.Add({{"resource", resource}});
}

void operator_metrics::leading(bool is_leader) {
  leader_.Set(is_leader ? 1 : 0);
}

std::string operator_metrics::scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tern::op::controllers
