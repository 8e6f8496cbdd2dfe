// Partition log behaviour: append/read, indexes, recovery from damage, retention and
// idempotent producer state, on real files in a temporary directory.
#include "broker/storage/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "broker/protocol/record_batch_builder.h"
#include "broker/storage/fsync_observer.h"
#include "common/file_util.h"

namespace tern::storage {
namespace {

namespace fs = std::filesystem;
using protocol::error_code;
using protocol::record_batch_builder;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tern-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.segment_bytes = 4096;
    config_.index_interval_bytes = 256;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<log> open(bool recover = false) {
    auto l = log::open({dir_.string(), config_, recover});
    EXPECT_TRUE(l) << (l ? "" : l.error());
    return l ? std::move(*l) : nullptr;
  }

  static std::string batch(int first, int n, int64_t ts = 1'000'000) {
    record_batch_builder b(ts);
    for (int i = 0; i < n; ++i)
      b.add("k" + std::to_string(first + i), "value-" + std::to_string(first + i), ts + i);
    return b.build();
  }

  static int64_t append(log& l, std::string records, int64_t now = 1'000'000) {
    auto r = l.append(records, 0, now);
    EXPECT_EQ(r.error, error_code::none) << r.message;
    return r.base_offset;
  }

  // Reads every batch from `offset` to the end through the public read path.
  static std::vector<protocol::batch_header> read_all(const log& l, int64_t offset) {
    std::vector<protocol::batch_header> out;
    while (offset < l.log_end_offset()) {
      auto r = l.read(offset, 1 << 20, true, l.log_end_offset());
      EXPECT_EQ(r.error, error_code::none);
      if (r.records.slices.empty()) break;
      const auto& s = r.records.slices.front();
      auto bytes = pread_some(s.file->get(), s.position, s.length);
      size_t pos = 0;
      while (pos < bytes->size()) {
        auto h = protocol::read_batch_header(std::string_view(*bytes).substr(pos));
        EXPECT_FALSE(protocol::check_batch(std::string_view(*bytes).substr(pos, h->total_size())));
        out.push_back(*h);
        pos += h->total_size();
        offset = h->last_offset() + 1;
      }
    }
    return out;
  }

  std::vector<fs::path> files(const std::string& ext) const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().extension() == ext) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  topic_config config_;
};

TEST_F(LogTest, AppendAssignsConsecutiveOffsetsAndRollsSegments) {
  auto l = open();
  int64_t expected = 0;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(append(*l, batch(i * 5, 5)), expected);
    expected += 5;
  }
  EXPECT_EQ(l->log_end_offset(), 500);
  EXPECT_GT(l->segment_count(), 3u);
  auto all = read_all(*l, 0);
  ASSERT_EQ(all.size(), 100u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].base_offset, int64_t(i) * 5);
}

TEST_F(LogTest, ReadFromTheMiddleOfABatchStartsAtThatBatch) {
  auto l = open();
  for (int i = 0; i < 50; ++i) append(*l, batch(i * 4, 4));
  auto r = l->read(37, 1 << 20, true, l->log_end_offset());
  ASSERT_EQ(r.error, error_code::none);
  ASSERT_EQ(r.records.slices.size(), 1u);
  const auto& s = r.records.slices.front();
  auto head = pread_some(s.file->get(), s.position, protocol::kBatchHeaderSize);
  EXPECT_EQ(protocol::read_batch_header(*head)->base_offset, 36);
}

TEST_F(LogTest, ReadRespectsMaxBytesButAlwaysReturnsOneBatch) {
  auto l = open();
  append(*l, batch(0, 20));
  append(*l, batch(20, 20));
  auto tiny = l->read(0, 10, true, l->log_end_offset());
  ASSERT_EQ(tiny.records.slices.size(), 1u);
  auto first = protocol::read_batch_header(batch(0, 20));
  EXPECT_EQ(tiny.records.size(), first->total_size());
  auto none = l->read(0, 10, false, l->log_end_offset());
  EXPECT_EQ(none.records.size(), 0u);
  auto bounded = l->read(0, 1 << 20, true, 20);  // upper bound (high watermark) at 20
  EXPECT_EQ(bounded.records.size(), first->total_size());
  EXPECT_EQ(l->read(500, 100, true, 1000).error, error_code::offset_out_of_range);
}

TEST_F(LogTest, CorruptBatchesAreRefusedAndNothingIsAppended) {
  auto l = open();
  std::string bad = batch(0, 3);
  bad[bad.size() - 2] ^= 0x10;
  auto r = l->append(bad, 0, 0);
  EXPECT_EQ(r.error, error_code::corrupt_message);
  std::string truncated = batch(0, 3).substr(0, 40);
  EXPECT_EQ(l->append(truncated, 0, 0).error, error_code::corrupt_message);
  EXPECT_EQ(l->log_end_offset(), 0);
}

TEST_F(LogTest, BatchAboveMaxMessageBytesIsTooLarge) {
  config_.max_message_bytes = 100;
  auto l = open();
  std::string big = batch(0, 10);
  auto r = l->append(big, 0, 0);
  EXPECT_EQ(r.error, error_code::message_too_large);
  EXPECT_EQ(l->log_end_offset(), 0);
}

TEST_F(LogTest, DataSurvivesReopen) {
  {
    auto l = open();
    for (int i = 0; i < 40; ++i) append(*l, batch(i * 3, 3));
    l->checkpoint();
  }
  auto l = open();
  EXPECT_EQ(l->log_end_offset(), 120);
  EXPECT_EQ(read_all(*l, 0).size(), 40u);
}

TEST_F(LogTest, TornTailIsTruncatedToTheLastWholeBatch) {
  {
    auto l = open();
    for (int i = 0; i < 10; ++i) append(*l, batch(i * 2, 2));
  }
  auto logs = files(".log");
  const auto last = logs.back();
  const auto size = fs::file_size(last);
  fs::resize_file(last, size - 7);  // the writer died mid-batch
  auto l = open(true);
  EXPECT_EQ(l->log_end_offset(), 18);
  EXPECT_EQ(read_all(*l, 0).size(), 9u);
  // Appends continue from the recovered end.
  EXPECT_EQ(append(*l, batch(100, 2)), 18);
}

TEST_F(LogTest, GarbageAfterTheLastBatchIsRemoved) {
  {
    auto l = open();
    for (int i = 0; i < 5; ++i) append(*l, batch(i, 1));
  }
  const auto last = files(".log").back();
  std::ofstream(last, std::ios::app) << std::string(100, '\xab');
  auto l = open(false);  // even without a CRC scan the tail check catches it
  EXPECT_EQ(l->log_end_offset(), 5);
  EXPECT_EQ(read_all(*l, 0).size(), 5u);
}

TEST_F(LogTest, CorruptBatchInActiveSegmentIsFoundByCrcScan) {
  config_.segment_bytes = 1 << 20;
  {
    auto l = open();
    for (int i = 0; i < 10; ++i) append(*l, batch(i * 2, 2));
  }
  const auto last = files(".log").back();
  // Damage a byte in the 6th batch's records.
  const auto one = protocol::read_batch_header(batch(0, 2))->total_size();
  std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(one * 5 + 70));
  f.put('\x00');
  f.close();
  auto l = open(true);
  EXPECT_EQ(l->log_end_offset(), 10);
  EXPECT_EQ(read_all(*l, 0).size(), 5u);
}

TEST_F(LogTest, MissingOrDamagedIndexesAreRebuilt) {
  {
    auto l = open();
    for (int i = 0; i < 60; ++i) append(*l, batch(i * 2, 2));
  }
  for (const auto& p : files(".index")) fs::remove(p);
  for (const auto& p : files(".timeindex")) std::ofstream(p, std::ios::app) << "xyz";
  auto l = open();
  EXPECT_EQ(l->log_end_offset(), 120);
  EXPECT_EQ(read_all(*l, 57).front().base_offset, 56);
  EXPECT_FALSE(files(".index").empty());
}

TEST_F(LogTest, RetentionBytesDeletesOldestSegmentsAndAdvancesStart) {
  config_.retention_bytes = 8192;
  auto l = open();
  for (int i = 0; i < 200; ++i) append(*l, batch(i * 2, 2));
  const auto before = l->segment_count();
  const size_t deleted = l->housekeeping(1'000'000);
  EXPECT_GT(deleted, 0u);
  EXPECT_EQ(l->segment_count(), before - deleted);
  EXPECT_GT(l->log_start_offset(), 0);
  EXPECT_LE(l->size_bytes(), 8192u + 4096u);
  EXPECT_EQ(l->read(0, 100, true, l->log_end_offset()).error, error_code::offset_out_of_range);
  EXPECT_EQ(l->log_end_offset(), 400);
}

TEST_F(LogTest, RetentionTimeDeletesExpiredSegmentsIncludingTheActiveOne) {
  config_.retention_ms = 60'000;
  auto l = open();
  for (int i = 0; i < 30; ++i) append(*l, batch(i * 2, 2, 1'000'000));
  const size_t deleted = l->housekeeping(1'000'000 + 3'600'000);
  EXPECT_GT(deleted, 0u);
  EXPECT_EQ(l->log_start_offset(), 60);
  EXPECT_EQ(l->log_end_offset(), 60);
  EXPECT_EQ(append(*l, batch(0, 1)), 60);
}

TEST_F(LogTest, SegmentMsRollsTheActiveSegmentByAge) {
  config_.segment_bytes = 1 << 20;
  config_.segment_ms = 60'000;
  auto l = open();
  append(*l, batch(0, 2, 1'000'000));
  EXPECT_EQ(l->segment_count(), 1u);
  l->housekeeping(1'000'000 + 30'000);  // young enough
  EXPECT_EQ(l->segment_count(), 1u);
  l->housekeeping(1'000'000 + 61'000);
  EXPECT_EQ(l->segment_count(), 2u);
  // An append that finds the active segment too old rolls it first.
  EXPECT_EQ(append(*l, batch(2, 1, 1'000'000 + 62'000)), 2);
  EXPECT_EQ(append(*l, batch(3, 1, 1'000'000 + 200'000), 1'000'000 + 200'000), 3);
  EXPECT_EQ(l->segment_count(), 3u);
}

TEST_F(LogTest, FlushMessagesFsyncsEveryNRecords) {
  int fsyncs = 0;
  set_fsync_observer([&](double) { ++fsyncs; });
  config_.flush_messages = 4;
  auto l = open();
  append(*l, batch(0, 3));
  EXPECT_EQ(fsyncs, 0);
  append(*l, batch(3, 2));  // 5 records since the last flush
  EXPECT_EQ(fsyncs, 1);
  config_.flush_messages = INT64_MAX;
  config_.flush_ms = 1000;
  l->set_config(config_);
  l->housekeeping(5'000);
  EXPECT_EQ(fsyncs, 2);
  set_fsync_observer(nullptr);
}

TEST_F(LogTest, OffsetForTimestampFindsTheFirstRecordAtOrAfter) {
  auto l = open();
  for (int i = 0; i < 20; ++i) append(*l, batch(i * 5, 5, 1'000 + i * 100));
  auto r = l->offset_for_timestamp(1'000 + 7 * 100 + 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->offset, 37);
  EXPECT_EQ(r->timestamp, 1'702);
  EXPECT_FALSE(l->offset_for_timestamp(99'999));
}

std::string idempotent(int64_t pid, int16_t epoch, int32_t seq, int n) {
  record_batch_builder b(1000);
  b.producer(pid, epoch, seq);
  for (int i = 0; i < n; ++i) b.add("k", "v" + std::to_string(seq + i));
  return b.build();
}

TEST_F(LogTest, RetriedIdempotentBatchGetsItsOriginalOffset) {
  auto l = open();
  EXPECT_EQ(append(*l, idempotent(1, 0, 0, 3)), 0);
  EXPECT_EQ(append(*l, idempotent(1, 0, 3, 2)), 3);
  std::string retry = idempotent(1, 0, 0, 3);
  auto r = l->append(retry, 0, 0);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.base_offset, 0);
  EXPECT_EQ(l->log_end_offset(), 5);
}

TEST_F(LogTest, SequenceGapAndStaleEpochAreRefused) {
  auto l = open();
  append(*l, idempotent(1, 2, 0, 3));
  std::string gap = idempotent(1, 2, 7, 1);
  EXPECT_EQ(l->append(gap, 0, 0).error, error_code::out_of_order_sequence_number);
  std::string stale = idempotent(1, 1, 3, 1);
  EXPECT_EQ(l->append(stale, 0, 0).error, error_code::invalid_producer_epoch);
  std::string unknown = idempotent(9, 0, 5, 1);
  EXPECT_EQ(l->append(unknown, 0, 0).error, error_code::unknown_producer_id);
  EXPECT_EQ(l->log_end_offset(), 3);
}

TEST_F(LogTest, ProducerStateIsRebuiltAfterCleanAndUncleanRestarts) {
  {
    auto l = open();
    append(*l, idempotent(4, 0, 0, 2));
    l->checkpoint();
    append(*l, idempotent(4, 0, 2, 2));  // after the snapshot: must be replayed
  }
  auto l = open(true);
  std::string retry = idempotent(4, 0, 2, 2);
  auto r = l->append(retry, 0, 0);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(r.base_offset, 2);
  EXPECT_EQ(append(*l, idempotent(4, 0, 4, 1)), 4);
}

}  // namespace
}  // namespace tern::storage
