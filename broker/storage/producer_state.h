// Idempotent-producer state of one partition: for each producer id its epoch and the
// sequence ranges and offsets of its last five batches, so a retried batch is recognised and
// answered with its original offset, and a gap in sequences is refused.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <string>

#include "broker/protocol/error_code.h"
#include "broker/protocol/record_batch.h"

namespace tern::storage {

class producer_state {
 public:
  static constexpr size_t kBatchesKept = 5;  // as Kafka: at most 5 in-flight requests

  struct batch_meta {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp;
  };
  struct producer {
    int16_t epoch = -1;
    std::deque<batch_meta> batches;
  };

  struct verdict {
    protocol::error_code error = protocol::error_code::none;
    bool duplicate = false;  // already in the log: answer with `duplicate_of`
    batch_meta duplicate_of{};
  };

  // Decides what to do with an idempotent batch (producer_id >= 0) before it is appended.
  verdict check(const protocol::batch_header& h) const;
  // Records a batch that is now in the log (offsets assigned).
  void record(const protocol::batch_header& h);
  // Drops everything at or after `offset` (log truncated) by rebuilding from scratch later.
  void clear() { producers_.clear(); }

  size_t producer_count() const { return producers_.size(); }

  // Snapshot as JSON text: {"offset": N, "producers": [...]}; load returns the offset.
  std::string snapshot(int64_t offset) const;
  std::expected<int64_t, std::string> load(const std::string& text);

 private:
  std::map<int64_t, producer> producers_;
};

}  // namespace tern::storage
