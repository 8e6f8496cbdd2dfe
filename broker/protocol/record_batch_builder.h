// Builds uncompressed RecordBatch v2 bytes: used by the broker for its own records (such as
// group metadata) and by tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::protocol {

struct record_header {
  std::string key;
  std::optional<std::string> value;
};

class record_batch_builder {
 public:
  explicit record_batch_builder(int64_t base_timestamp_ms) : base_timestamp_(base_timestamp_ms) {}

  record_batch_builder& producer(int64_t id, int16_t epoch, int32_t base_sequence) {
    producer_id_ = id;
    producer_epoch_ = epoch;
    base_sequence_ = base_sequence;
    return *this;
  }
  record_batch_builder& add(std::optional<std::string_view> key,
                            std::optional<std::string_view> value, int64_t timestamp_ms = -1,
                            const std::vector<record_header>& headers = {});

  // The whole batch with base offset 0; CRC filled in.
  std::string build() const;
  size_t count() const { return records_.size(); }

 private:
  int64_t base_timestamp_;
  int64_t max_timestamp_ = -1;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  int32_t base_sequence_ = -1;
  std::vector<std::string> records_;
};

}  // namespace tern::protocol
