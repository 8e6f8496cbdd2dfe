// What replication needs from a partition log: the leader epoch checkpoint, a follower's
// append of the leader's batches as they are, and truncation of a divergent tail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "broker/protocol/record_batch.h"
#include "broker/protocol/record_batch_builder.h"
#include "broker/storage/leader_epoch_cache.h"
#include "broker/storage/log.h"
#include "common/file_util.h"

namespace tern::storage {
namespace {

namespace fs = std::filesystem;
using protocol::error_code;

class ReplicationLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tern-repl-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.segment_bytes = 1024;  // small, so a few batches span several segments
    config_.index_interval_bytes = 256;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<log> open(const std::string& name) {
    auto l = log::open({(dir_ / name).string(), config_, false});
    EXPECT_TRUE(l) << (l ? "" : l.error());
    return l ? std::move(*l) : nullptr;
  }

  static std::string batch(int first, int n) {
    protocol::record_batch_builder b(1'000'000);
    for (int i = 0; i < n; ++i) b.add("k" + std::to_string(first + i), "v" + std::to_string(i));
    return b.build();
  }

  // The batches of `l` from `offset`, as bytes, the way a leader sends them.
  static std::string batches_from(const log& l, int64_t offset) {
    std::string out;
    l.for_each_batch(offset, [&](std::string_view b) { out += b; });
    return out;
  }

  fs::path dir_;
  topic_config config_;
};

TEST(LeaderEpochCache, AnswersWhereEachEpochEnds) {
  const auto dir = fs::temp_directory_path() / ("tern-epochs-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto c = leader_epoch_cache::load(dir.string());
  EXPECT_FALSE(c.latest_epoch());
  c.assign(0, 0);
  c.assign(2, 10);
  c.assign(1, 5);  // older than the latest: ignored
  c.assign(5, 25);
  EXPECT_EQ(c.end_offset_for(0, 40).end_offset, 10);
  EXPECT_EQ(c.end_offset_for(0, 40).epoch, 0);
  // Epochs 3 and 4 were never seen here: the answer is epoch 2, which ends where 5 starts.
  EXPECT_EQ(c.end_offset_for(4, 40).epoch, 2);
  EXPECT_EQ(c.end_offset_for(4, 40).end_offset, 25);
  EXPECT_EQ(c.end_offset_for(5, 40).end_offset, 40);  // the latest epoch ends at the log end
  auto reloaded = leader_epoch_cache::load(dir.string());
  EXPECT_EQ(reloaded.entries(), c.entries());
  reloaded.truncate_from(10);
  EXPECT_EQ(reloaded.latest_epoch(), 0);
  EXPECT_EQ(leader_epoch_cache::load(dir.string()).entries().size(), 1u);
  fs::remove_all(dir);
}

TEST(LeaderEpochCache, UnreadableCheckpointStartsEmpty) {
  const auto dir = fs::temp_directory_path() / ("tern-epochs-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(write_file_atomically((dir / leader_epoch_cache::kFileName).string(), "7\nxx\n"));
  EXPECT_TRUE(leader_epoch_cache::load(dir.string()).entries().empty());
  fs::remove_all(dir);
}

TEST_F(ReplicationLogTest, FollowerKeepsTheLeadersOffsetsAndEpochs) {
  auto leader = open("leader");
  auto follower = open("follower");
  std::string b1 = batch(0, 3), b2 = batch(3, 2);
  ASSERT_EQ(leader->append(b1, 4, 1).error, error_code::none);
  ASSERT_EQ(leader->append(b2, 6, 1).error, error_code::none);
  auto r = follower->append_replicated(batches_from(*leader, 0), 1);
  ASSERT_EQ(r.error, error_code::none) << r.message;
  EXPECT_EQ(follower->log_end_offset(), 5);
  EXPECT_EQ(follower->epochs().entries(), leader->epochs().entries());
  EXPECT_EQ(batches_from(*follower, 0), batches_from(*leader, 0));
  // Sending the same batches again would go back in offsets: refused, nothing appended.
  EXPECT_NE(follower->append_replicated(batches_from(*leader, 0), 1).error, error_code::none);
  EXPECT_EQ(follower->log_end_offset(), 5);
}

TEST_F(ReplicationLogTest, CorruptReplicatedBatchIsRefused) {
  auto leader = open("leader");
  auto follower = open("follower");
  std::string b = batch(0, 3);
  ASSERT_EQ(leader->append(b, 0, 1).error, error_code::none);
  std::string bytes = batches_from(*leader, 0);
  bytes[bytes.size() - 2] ^= 0x55;
  EXPECT_EQ(follower->append_replicated(bytes, 1).error, error_code::corrupt_message);
  EXPECT_EQ(follower->log_end_offset(), 0);
  // A batch cut short at the end of a fetch response is left for the next fetch.
  std::string whole = batches_from(*leader, 0);
  auto r = follower->append_replicated(whole.substr(0, whole.size() - 5), 1);
  EXPECT_EQ(r.error, error_code::none);
  EXPECT_EQ(follower->log_end_offset(), 0);
}

TEST_F(ReplicationLogTest, TruncationRemovesTheTailItsEpochsAndSurvivesReopen) {
  auto l = open("p");
  for (int i = 0; i < 30; ++i) {
    std::string b = batch(i * 4, 4);
    ASSERT_EQ(l->append(b, i < 20 ? 1 : 2, 1).error, error_code::none);
  }
  ASSERT_GT(l->segment_count(), 1u);
  ASSERT_EQ(l->log_end_offset(), 120);
  ASSERT_TRUE(l->truncate_to(80));
  EXPECT_EQ(l->log_end_offset(), 80);
  EXPECT_EQ(l->epochs().latest_epoch(), 1);
  EXPECT_LE(l->high_watermark(), 80);
  std::string next = batch(200, 2);
  EXPECT_EQ(l->append(next, 3, 1).base_offset, 80);
  l.reset();
  auto again = open("p");
  EXPECT_EQ(again->log_end_offset(), 82);
  EXPECT_EQ(again->epochs().end_offset_for(1, 82).end_offset, 80);
  EXPECT_EQ(again->epochs().latest_epoch(), 3);
}

TEST_F(ReplicationLogTest, ResetStartsEmptyAtTheLeadersLogStart) {
  auto l = open("p");
  std::string b = batch(0, 5);
  ASSERT_EQ(l->append(b, 0, 1).error, error_code::none);
  ASSERT_TRUE(l->reset_to(1000));
  EXPECT_EQ(l->log_start_offset(), 1000);
  EXPECT_EQ(l->log_end_offset(), 1000);
  EXPECT_TRUE(l->epochs().entries().empty());
}

}  // namespace
}  // namespace tern::storage
