// Encoding records and the batch header.
#include "broker/protocol/record_batch_builder.h"

#include <algorithm>

#include "broker/protocol/byte_io.h"
#include "broker/protocol/record_batch.h"
#include "common/crc32c.h"

namespace tern::protocol {

record_batch_builder& record_batch_builder::add(std::optional<std::string_view> key,
                                                std::optional<std::string_view> value,
                                                int64_t timestamp_ms,
                                                const std::vector<record_header>& headers) {
  if (timestamp_ms < 0) timestamp_ms = base_timestamp_;
  max_timestamp_ = std::max(max_timestamp_, timestamp_ms);
  std::string body;
  byte_writer w(body);
  w.i8(0);  // attributes
  w.varlong(timestamp_ms - base_timestamp_);
  w.varint(static_cast<int32_t>(records_.size()));  // offset delta
  auto bytes = [&](std::optional<std::string_view> b) {
    if (!b) {
      w.varint(-1);
      return;
    }
    w.varint(static_cast<int32_t>(b->size()));
    w.bytes(*b);
  };
  bytes(key);
  bytes(value);
  w.varint(static_cast<int32_t>(headers.size()));
  for (const auto& h : headers) {
    bytes(std::string_view(h.key));
    bytes(h.value ? std::optional<std::string_view>(*h.value) : std::nullopt);
  }
  std::string record;
  byte_writer rw(record);
  rw.varint(static_cast<int32_t>(body.size()));
  rw.bytes(body);
  records_.push_back(std::move(record));
  return *this;
}

std::string record_batch_builder::build() const {
  std::string out;
  byte_writer w(out);
  w.i64(0);   // base offset
  w.i32(0);   // batch length, patched below
  w.i32(-1);  // partition leader epoch
  w.i8(2);    // magic
  w.u32(0);   // crc, patched below
  w.i16(0);   // attributes: no compression, CreateTime
  w.i32(static_cast<int32_t>(records_.size()) - 1);
  w.i64(base_timestamp_);
  w.i64(max_timestamp_ < 0 ? base_timestamp_ : max_timestamp_);
  w.i64(producer_id_);
  w.i16(producer_epoch_);
  w.i32(base_sequence_);
  w.i32(static_cast<int32_t>(records_.size()));
  for (const auto& r : records_) w.bytes(r);
  byte_writer::put_i32_at(out, kBatchLengthOffset,
                          static_cast<int32_t>(out.size() - kBatchLogOverhead));
  byte_writer::put_u32_at(out, kBatchCrcOffset,
                          crc32c(std::string_view(out).substr(kBatchAttributesOffset)));
  return out;
}

}  // namespace tern::protocol
