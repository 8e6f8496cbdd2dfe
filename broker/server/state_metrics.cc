// Scrape-time gauges from the broker's state.
#include "broker/server/state_metrics.h"

#include <sys/statvfs.h>

#include <map>

#include "broker/server/broker.h"

namespace tern::server {

using admin::add_sample;
using admin::counter_family;
using admin::gauge_family;

namespace {

void collect_partitions(broker& b, admin::partition_detail detail,
                        std::vector<prometheus::MetricFamily>& out) {
  auto parts = gauge_family("tern_topic_partitions", "Partitions of each topic");
  auto size = gauge_family("tern_topic_size_bytes", "Bytes on disk of each topic's partitions");
  auto segments = gauge_family("tern_topic_segments", "Log segments of each topic's partitions");
  auto end = gauge_family("tern_topic_log_end_offset",
                          "Sum of the log end offsets of a topic's partitions (rate() of it is "
                          "the append rate in records)");
  auto p_start = gauge_family("tern_partition_log_start_offset", "First offset of the log");
  auto p_end = gauge_family("tern_partition_log_end_offset", "Offset the next record gets");
  auto p_hw =
      gauge_family("tern_partition_high_watermark", "Offset up to which consumers may read");
  auto p_size = gauge_family("tern_partition_size_bytes", "Bytes on disk of the partition");
  auto p_segments = gauge_family("tern_partition_segments", "Log segments of the partition");
  auto leaders = gauge_family("tern_leader_partitions", "Partitions this broker leads");
  auto replicas = gauge_family("tern_replica_partitions", "Partition replicas on this broker");
  auto under_replicated =
      gauge_family("tern_under_replicated_partitions",
                   "Partitions led here whose in-sync replicas are fewer than their replicas");
  auto under_min_isr =
      gauge_family("tern_under_min_isr_partitions",
                   "Partitions led here with fewer in-sync replicas than min.insync.replicas");
  auto offline = gauge_family("tern_offline_partitions", "Partitions without a leader");

  struct topic_sum {
    int64_t partitions = 0, bytes = 0, segments = 0, end = 0;
  };
  std::map<std::string, topic_sum> topics;
  int64_t count = 0, below_min_isr = 0;
  constexpr int64_t kInSync = 1;  // single-node mode: the leader alone
  for (const auto& [key, log] : b.logs().logs()) {
    ++count;
    if (log->config().min_insync_replicas > kInSync) ++below_min_isr;
    auto& t = topics[key.topic];
    ++t.partitions;
    t.bytes += static_cast<int64_t>(log->size_bytes());
    t.segments += static_cast<int64_t>(log->segment_count());
    t.end += log->log_end_offset();
    if (detail == admin::partition_detail::partition) {
      std::vector<std::pair<std::string, std::string>> l = {
          {"topic", key.topic}, {"partition", std::to_string(key.partition)}};
      add_sample(p_start, l, static_cast<double>(log->log_start_offset()));
      add_sample(p_end, l, static_cast<double>(log->log_end_offset()));
      add_sample(p_hw, l, static_cast<double>(log->high_watermark()));
      add_sample(p_size, l, static_cast<double>(log->size_bytes()));
      add_sample(p_segments, l, static_cast<double>(log->segment_count()));
    }
  }
  if (detail != admin::partition_detail::none) {
    for (const auto& [name, t] : topics) {
      add_sample(parts, {{"topic", name}}, static_cast<double>(t.partitions));
      add_sample(size, {{"topic", name}}, static_cast<double>(t.bytes));
      add_sample(segments, {{"topic", name}}, static_cast<double>(t.segments));
      add_sample(end, {{"topic", name}}, static_cast<double>(t.end));
    }
  }
  if (b.replicas() != nullptr) {
    const auto h = b.replicas()->partition_health();
    add_sample(leaders, {}, h.leaders);
    add_sample(under_replicated, {}, h.under_replicated);
    add_sample(under_min_isr, {}, h.under_min_isr);
    add_sample(offline, {}, h.offline);
  } else {
    add_sample(leaders, {}, static_cast<double>(count));
    add_sample(under_replicated, {}, 0);
    add_sample(under_min_isr, {}, static_cast<double>(below_min_isr));
    add_sample(offline, {}, 0);
  }
  add_sample(replicas, {}, static_cast<double>(count));
  for (auto* f : {&parts, &size, &segments, &end, &p_start, &p_end, &p_hw, &p_size, &p_segments,
                  &leaders, &replicas, &under_replicated, &under_min_isr, &offline})
    out.push_back(std::move(*f));
}

void collect_groups(broker& b, admin::partition_detail detail,
                    std::vector<prometheus::MetricFamily>& out) {
  auto state =
      gauge_family("tern_consumer_group_state", "1 for the state each consumer group is in");
  auto members = gauge_family("tern_consumer_group_members", "Members of each consumer group");
  auto lag = gauge_family("tern_consumer_group_lag",
                          "Records between a group's committed offset and the high watermark, "
                          "summed per topic");
  auto p_lag = gauge_family("tern_consumer_group_partition_lag",
                            "Records between a group's committed offset and the high watermark");
  for (const auto& g : b.groups().list()) {
    if (g.group_id.empty()) continue;
    add_sample(state, {{"group", g.group_id}, {"state", std::string(group::state_name(g.state))}},
               1);
    add_sample(members, {{"group", g.group_id}},
               static_cast<double>(b.groups().describe(g.group_id).members.size()));
    std::map<std::string, int64_t> per_topic;
    for (const auto& [tp, c] : b.groups().committed(g.group_id)) {
      storage::log* log = b.topics().partition_log(tp.first, tp.second);
      if (log == nullptr || c.offset < 0) continue;
      const int64_t behind = std::max<int64_t>(0, log->high_watermark() - c.offset);
      per_topic[tp.first] += behind;
      if (detail == admin::partition_detail::partition)
        add_sample(
            p_lag,
            {{"group", g.group_id}, {"topic", tp.first}, {"partition", std::to_string(tp.second)}},
            static_cast<double>(behind));
    }
    if (detail != admin::partition_detail::none)
      for (const auto& [topic, behind] : per_topic)
        add_sample(lag, {{"group", g.group_id}, {"topic", topic}}, static_cast<double>(behind));
  }
  for (auto* f : {&state, &members, &lag, &p_lag}) out.push_back(std::move(*f));
}

void collect_cluster_and_disk(broker& b, std::vector<prometheus::MetricFamily>& out) {
  auto controller =
      gauge_family("tern_active_controller", "1 when this broker is the active controller");
  auto brokers = gauge_family("tern_brokers", "Brokers this broker knows to be alive");
  auto shrinks = counter_family("tern_isr_shrinks_total", "Replicas dropped from an ISR");
  auto expands = counter_family("tern_isr_expands_total", "Replicas added back to an ISR");
  if (b.replicas() != nullptr) {
    add_sample(controller, {}, b.agent()->is_controller() ? 1 : 0);
    add_sample(brokers, {}, static_cast<double>(b.replicas()->view().brokers.size()));
    add_sample(shrinks, {}, static_cast<double>(b.replicas()->isr_shrinks()));
    add_sample(expands, {}, static_cast<double>(b.replicas()->isr_expands()));
  } else {
    add_sample(controller, {}, 1);  // single-node mode: always
    add_sample(brokers, {}, 1);
    add_sample(shrinks, {}, 0);
    add_sample(expands, {}, 0);
  }
  auto info = gauge_family("tern_build_info", "Always 1; labels name the broker's version");
  add_sample(info, {{"version", "0.1.0"}, {"node_id", std::to_string(b.node_id())}}, 1);
  auto free = gauge_family("tern_log_dir_free_bytes", "Bytes free on the file system of a log dir");
  auto total = gauge_family("tern_log_dir_total_bytes", "Size of the file system of a log dir");
  for (const auto& dir : b.config().log_dirs) {
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0) continue;
    add_sample(free, {{"dir", dir}}, static_cast<double>(fs.f_bavail) * fs.f_frsize);
    add_sample(total, {{"dir", dir}}, static_cast<double>(fs.f_blocks) * fs.f_frsize);
  }
  for (auto* f : {&controller, &brokers, &shrinks, &expands, &info, &free, &total})
    out.push_back(std::move(*f));
}

}  // namespace

void collect_state_metrics(broker& b, admin::partition_detail detail,
                           std::vector<prometheus::MetricFamily>& out) {
  collect_partitions(b, detail, out);
  collect_groups(b, detail, out);
  collect_cluster_and_disk(b, out);
  admin::collect_process_metrics(out);
}

}  // namespace tern::server
