// RecordBatch v2 reading, checking and the in-place rewrites done on append.
#include "broker/protocol/record_batch.h"

#include "broker/protocol/byte_io.h"
#include "common/crc32c.h"

namespace tern::protocol {

int32_t batch_header::last_sequence() const {
  if (base_sequence < 0) return -1;
  const int64_t last = int64_t{base_sequence} + last_offset_delta;
  return static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

std::optional<batch_header> read_batch_header(std::string_view b) {
  if (b.size() < kBatchHeaderSize) return std::nullopt;
  const char* p = b.data();
  batch_header h;
  h.base_offset = static_cast<int64_t>(load_be64(p));
  h.batch_length = static_cast<int32_t>(load_be32(p + 8));
  h.partition_leader_epoch = static_cast<int32_t>(load_be32(p + 12));
  h.magic = static_cast<int8_t>(p[16]);
  h.crc = load_be32(p + 17);
  h.attributes = static_cast<int16_t>(load_be16(p + 21));
  h.last_offset_delta = static_cast<int32_t>(load_be32(p + 23));
  h.base_timestamp = static_cast<int64_t>(load_be64(p + 27));
  h.max_timestamp = static_cast<int64_t>(load_be64(p + 35));
  h.producer_id = static_cast<int64_t>(load_be64(p + 43));
  h.producer_epoch = static_cast<int16_t>(load_be16(p + 51));
  h.base_sequence = static_cast<int32_t>(load_be32(p + 53));
  h.records_count = static_cast<int32_t>(load_be32(p + 57));
  return h;
}

bool batch_crc_matches(std::string_view batch) {
  if (batch.size() < kBatchHeaderSize) return false;
  const uint32_t stored = load_be32(batch.data() + kBatchCrcOffset);
  return crc32c(batch.substr(kBatchAttributesOffset)) == stored;
}

bool for_each_record(std::string_view body, int32_t expected_count,
                     const std::function<void(const record_view&)>& visit, std::string* reason) {
  try {
    byte_reader in(body);
    for (int32_t i = 0; i < expected_count; ++i) {
      const size_t start = in.position();
      const int32_t length = in.varint();
      if (length < 0) throw malformed_input("negative record length");
      byte_reader rec(in.take(static_cast<size_t>(length)));
      record_view r;
      r.raw = body.substr(start, in.position() - start);
      r.attributes = rec.i8();
      r.timestamp_delta = rec.varlong();
      r.offset_delta = rec.varint();
      const int32_t key_len = rec.varint();
      if (key_len >= 0) r.key = rec.take(static_cast<size_t>(key_len));
      const int32_t value_len = rec.varint();
      if (value_len >= 0) r.value = rec.take(static_cast<size_t>(value_len));
      r.header_count = rec.varint();
      if (r.header_count < 0) throw malformed_input("negative header count");
      for (int32_t h = 0; h < r.header_count; ++h) {
        const int32_t hk = rec.varint();
        if (hk < 0) throw malformed_input("null header key");
        rec.skip(static_cast<size_t>(hk));
        const int32_t hv = rec.varint();
        if (hv >= 0) rec.skip(static_cast<size_t>(hv));
      }
      if (!rec.at_end()) throw malformed_input("record has trailing bytes");
      if (visit) visit(r);
    }
    if (!in.at_end()) throw malformed_input("bytes after the last record");
    return true;
  } catch (const malformed_input& e) {
    if (reason != nullptr) *reason = e.what();
    return false;
  }
}

batch_problem check_batch(std::string_view batch) {
  using k = batch_problem::kind;
  auto h = read_batch_header(batch);
  if (!h) return {k::truncated, "batch shorter than its header"};
  if (h->magic != 2)
    return {k::bad_magic, "magic " + std::to_string(h->magic) + ", only 2 is supported"};
  if (h->batch_length < static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead) ||
      h->total_size() != batch.size())
    return {k::bad_length, "batch_length " + std::to_string(h->batch_length) +
                               " does not match the " + std::to_string(batch.size()) + " bytes"};
  if (!batch_crc_matches(batch)) return {k::bad_crc, "CRC-32C mismatch"};
  if (h->records_count < 0 || h->last_offset_delta < 0 ||
      (h->records_count > 0 && h->last_offset_delta != h->records_count - 1))
    return {k::bad_records, "records_count " + std::to_string(h->records_count) +
                                " disagrees with last_offset_delta " +
                                std::to_string(h->last_offset_delta)};
  if (h->records_count == 0) return {k::bad_records, "empty batch"};
  if (h->codec() == compression::none) {
    std::string reason;
    int32_t expected_delta = 0;
    bool deltas_ok = true;
    if (!for_each_record(
            batch.substr(kBatchHeaderSize), h->records_count,
            [&](const record_view& r) { deltas_ok &= (r.offset_delta == expected_delta++); },
            &reason))
      return {k::bad_records, reason};
    if (!deltas_ok) return {k::bad_records, "record offset deltas are not consecutive"};
  }
  return {};
}

void set_base_offset(char* batch, int64_t base_offset) {
  store_be64(batch, static_cast<uint64_t>(base_offset));
}

void set_partition_leader_epoch(char* batch, int32_t epoch) {
  store_be32(batch + kBatchLeaderEpochOffset, static_cast<uint32_t>(epoch));
}

void set_log_append_time(char* batch, size_t size, int64_t timestamp_ms) {
  store_be64(batch + kBatchMaxTimestampOffset, static_cast<uint64_t>(timestamp_ms));
  batch[kBatchAttributesOffset + 1] |= 0x08;  // timestamp type: LogAppendTime
  store_be32(batch + kBatchCrcOffset,
             crc32c_extend(0, batch + kBatchAttributesOffset, size - kBatchAttributesOffset));
}

}  // namespace tern::protocol
