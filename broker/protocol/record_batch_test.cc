// RecordBatch v2: building, checking, damage detection and the in-place rewrites.
#include "broker/protocol/record_batch.h"

#include <gtest/gtest.h>

#include "broker/protocol/record_batch_builder.h"

namespace tern::protocol {
namespace {

std::string sample_batch(int n = 3) {
  record_batch_builder b(1'700'000'000'000);
  for (int i = 0; i < n; ++i)
    b.add("key" + std::to_string(i), "value" + std::to_string(i), 1'700'000'000'000 + i);
  return b.build();
}

TEST(RecordBatch, BuiltBatchPassesChecksAndReadsBack) {
  const std::string batch = sample_batch();
  EXPECT_FALSE(check_batch(batch));
  auto h = read_batch_header(batch);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->records_count, 3);
  EXPECT_EQ(h->last_offset_delta, 2);
  EXPECT_EQ(h->max_timestamp, 1'700'000'000'002);
  EXPECT_EQ(h->total_size(), batch.size());
  std::vector<std::string> keys;
  ASSERT_TRUE(for_each_record(
      std::string_view(batch).substr(kBatchHeaderSize), 3,
      [&](const record_view& r) { keys.emplace_back(*r.key); }, nullptr));
  EXPECT_EQ(keys, (std::vector<std::string>{"key0", "key1", "key2"}));
}

TEST(RecordBatch, EveryFlippedByteAfterTheCrcFieldIsDetected) {
  const std::string good = sample_batch();
  for (size_t i = kBatchAttributesOffset; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    auto problem = check_batch(bad);
    EXPECT_TRUE(problem) << "byte " << i;
  }
}

TEST(RecordBatch, CrcMismatchIsReportedAsSuch) {
  std::string bad = sample_batch();
  bad.back() ^= 0x40;
  EXPECT_EQ(check_batch(bad).what, batch_problem::kind::bad_crc);
}

TEST(RecordBatch, WrongLengthAndMagicAreReported) {
  std::string b = sample_batch();
  EXPECT_EQ(check_batch(std::string_view(b).substr(0, b.size() - 1)).what,
            batch_problem::kind::bad_length);
  EXPECT_EQ(check_batch(std::string_view(b).substr(0, 20)).what, batch_problem::kind::truncated);
  b[kBatchMagicOffset] = 1;
  EXPECT_EQ(check_batch(b).what, batch_problem::kind::bad_magic);
}

TEST(RecordBatch, OffsetAndEpochRewritesKeepTheCrcValid) {
  std::string b = sample_batch();
  set_base_offset(b.data(), 123456789);
  set_partition_leader_epoch(b.data(), 7);
  EXPECT_FALSE(check_batch(b));
  auto h = read_batch_header(b);
  EXPECT_EQ(h->base_offset, 123456789);
  EXPECT_EQ(h->partition_leader_epoch, 7);
  EXPECT_EQ(h->last_offset(), 123456791);
}

TEST(RecordBatch, LogAppendTimeRewriteRecomputesTheCrc) {
  std::string b = sample_batch();
  set_log_append_time(b.data(), b.size(), 42);
  EXPECT_FALSE(check_batch(b));
  auto h = read_batch_header(b);
  EXPECT_EQ(h->max_timestamp, 42);
  EXPECT_TRUE(h->log_append_time());
}

TEST(RecordBatch, RecordsThatOverrunTheBatchAreRejected) {
  std::string reason;
  std::string body = "\x7f";  // a record claiming 63 bytes with none following
  EXPECT_FALSE(for_each_record(body, 1, nullptr, &reason));
  EXPECT_FALSE(reason.empty());
}

TEST(RecordBatch, SequenceRangeOfIdempotentBatch) {
  record_batch_builder b(0);
  b.producer(5, 1, 10).add("k", "a").add("k", "b");
  auto h = read_batch_header(b.build());
  EXPECT_EQ(h->producer_id, 5);
  EXPECT_EQ(h->base_sequence, 10);
  EXPECT_EQ(h->last_sequence(), 11);
}

}  // namespace
}  // namespace tern::protocol
