// Latency samples and their summary (avg, percentiles, max), as the perf tools print them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tern::cli {

class latency_stats {
 public:
  void add(double ms) { samples_.push_back(ms); }
  size_t count() const { return samples_.size(); }

  double average() const {
    if (samples_.empty()) return 0;
    double sum = 0;
    for (double s : samples_) sum += s;
    return sum / static_cast<double>(samples_.size());
  }
  double max() const {
    return samples_.empty() ? 0 : *std::max_element(samples_.begin(), samples_.end());
  }
  // Nearest-rank percentile, p in (0, 100].
  double percentile(double p) {
    if (samples_.empty()) return 0;
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(samples_.size()));
    if (rank >= samples_.size()) rank = samples_.size() - 1;
    return samples_[rank];
  }

 private:
  std::vector<double> samples_;
  bool sorted_ = false;
};

}  // namespace tern::cli
