// Gauges that mirror the broker's state, computed when /metrics is scraped: partitions and
// their offsets and sizes, replication health, consumer groups and their lag, disk space.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "broker/admin/broker_metrics.h"

namespace tern::server {

class broker;

void collect_state_metrics(broker& b, admin::partition_detail detail,
                           std::vector<prometheus::MetricFamily>& out);

}  // namespace tern::server
