// What replication needs from a partition log: the leader epoch checkpoint, a follower's
// append of the leader's batches as they are, and truncation of a divergent tail.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "broker/protocol/record_batch.h"
#include "broker/protocol/record_batch_builder.h"
#include "broker/storage/direct_appender.h"
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

  static std::string batch(int first, int n, size_t value_bytes = 0) {
    protocol::record_batch_builder b(1'000'000);
    for (int i = 0; i < n; ++i)
      b.add("k" + std::to_string(first + i),
            "v" + std::to_string(i) + std::string(value_bytes, 'v'));
    return b.build();
  }

  // Whether direct appends happen here at all (tmpfs may refuse them).
  bool direct_io_here() {
    const fs::path probe = dir_ / "probe";
    { std::ofstream create(probe); }
    auto a = direct_appender::open(probe.string());
    fs::remove(probe);
    return a.has_value();
  }

  // Each .log file of a log directory, with its length on disk.
  static std::map<std::string, uint64_t> log_file_lengths(const fs::path& dir) {
    std::map<std::string, uint64_t> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".log") out[e.path().filename().string()] = e.file_size();
    return out;
  }

  // How many pages of the .log files of a log directory are in the page cache.
  static size_t cached_log_pages(const fs::path& dir) {
    size_t cached = 0;
    for (const auto& [name, length] : log_file_lengths(dir)) {
      if (length == 0) continue;
      const int fd = ::open((dir / name).c_str(), O_RDONLY | O_CLOEXEC);
      void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
      std::vector<unsigned char> resident((length + 4095) / 4096);
      if (map != MAP_FAILED && ::mincore(map, length, resident.data()) == 0)
        for (unsigned char r : resident) cached += r & 1;
      if (map != MAP_FAILED) ::munmap(map, length);
      ::close(fd);
    }
    return cached;
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
  auto r = follower->append_replicated(batches_from(*leader, 0), 1, write_mode::direct);
  ASSERT_EQ(r.error, error_code::none) << r.message;
  EXPECT_EQ(follower->log_end_offset(), 5);
  EXPECT_EQ(follower->epochs().entries(), leader->epochs().entries());
  EXPECT_EQ(batches_from(*follower, 0), batches_from(*leader, 0));
  // Sending the same batches again would go back in offsets: refused, nothing appended.
  EXPECT_NE(follower->append_replicated(batches_from(*leader, 0), 1, write_mode::direct).error,
            error_code::none);
  EXPECT_EQ(follower->log_end_offset(), 5);
}

TEST_F(ReplicationLogTest, CorruptReplicatedBatchIsRefused) {
  auto leader = open("leader");
  auto follower = open("follower");
  std::string b = batch(0, 3);
  ASSERT_EQ(leader->append(b, 0, 1).error, error_code::none);
  std::string bytes = batches_from(*leader, 0);
  bytes[bytes.size() - 2] ^= 0x55;
  EXPECT_EQ(follower->append_replicated(bytes, 1, write_mode::direct).error,
            error_code::corrupt_message);
  EXPECT_EQ(follower->log_end_offset(), 0);
  // A batch cut short at the end of a fetch response is left for the next fetch.
  std::string whole = batches_from(*leader, 0);
  auto r = follower->append_replicated(whole.substr(0, whole.size() - 5), 1, write_mode::direct);
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

TEST_F(ReplicationLogTest, DirectFollowerFollowsLeadsAndFollowsAgain) {
  // Batches of 0.4 times the direct threshold, segments of about fifteen: fetches of three are
  // written direct, fetches of one (or less than three before a roll) through the page cache.
  const size_t unit = direct_appender::kMinBytes / 10;
  config_.segment_bytes = static_cast<int64_t>(6 * direct_appender::kMinBytes);
  config_.index_interval_bytes = static_cast<int64_t>(unit);
  auto leader = open("leader");
  auto follower = open("follower");
  for (int i = 0; i < 30; ++i) {
    std::string b = batch(i * 4, 4, unit);
    ASSERT_EQ(leader->append(b, 1, 1).error, error_code::none);
  }
  // Fetch responses cut after three batches or after one, the rest left for the next.
  const size_t three = direct_appender::kMinBytes * 13 / 10,
               one = direct_appender::kMinBytes * 6 / 10;
  size_t fetch_bytes = three;
  auto catch_up = [&] {
    while (follower->log_end_offset() < leader->log_end_offset()) {
      fetch_bytes = fetch_bytes == three ? one : three;
      const std::string fetched =
          batches_from(*leader, follower->log_end_offset()).substr(0, fetch_bytes);
      auto r = follower->append_replicated(fetched, 1, write_mode::direct);
      ASSERT_EQ(r.error, error_code::none) << r.message;
      ASSERT_GT(r.records, 0u);
    }
  };
  catch_up();
  // Before anything reads them back: the direct writes left no pages in the cache.
  if (direct_io_here())
    EXPECT_LT(cached_log_pages(dir_ / "follower"), cached_log_pages(dir_ / "leader") / 2);
  EXPECT_EQ(batches_from(*follower, 0), batches_from(*leader, 0));
  EXPECT_EQ(follower->segment_count(), leader->segment_count());
  // Leading: a buffered append goes on where the direct ones ended.
  std::string own = batch(500, 3);
  EXPECT_EQ(follower->append(own, 2, 1).base_offset, 120);
  // Following again, after truncating its own tail.
  ASSERT_TRUE(follower->truncate_to(100));
  ASSERT_TRUE(leader->truncate_to(100));
  for (int i = 0; i < 5; ++i) {
    std::string b = batch(1000 + i * 2, 2, 2 * unit);
    ASSERT_EQ(leader->append(b, 3, 1).error, error_code::none);
  }
  catch_up();
  EXPECT_EQ(batches_from(*follower, 0), batches_from(*leader, 0));
  EXPECT_EQ(follower->epochs().entries(), leader->epochs().entries());
  // Closed, every segment file ends with its last batch: no zeros past it.
  leader.reset();
  follower.reset();
  EXPECT_EQ(log_file_lengths(dir_ / "follower"), log_file_lengths(dir_ / "leader"));
  auto again = open("follower");
  EXPECT_EQ(again->log_end_offset(), 110);
}

TEST_F(ReplicationLogTest, ZerosADirectAppendLeftAtACrashAreNotDamage) {
  if (!direct_io_here()) GTEST_SKIP() << "no O_DIRECT in " << dir_;
  config_.segment_bytes = static_cast<int64_t>(4 * direct_appender::kMinBytes);
  auto leader = open("leader");
  for (int i = 0; i < 3; ++i) {
    // 1.5 times the direct threshold in all: one direct append.
    std::string b = batch(i * 5, 5, direct_appender::kMinBytes / 10);
    ASSERT_EQ(leader->append(b, 1, 1).error, error_code::none);
  }
  const std::string bytes = batches_from(*leader, 0);
  std::vector<protocol::batch_header> headers;
  for (size_t at = 0; at < bytes.size(); at += headers.back().total_size())
    headers.push_back(*protocol::read_batch_header(std::string_view(bytes).substr(at)));
  fs::create_directories(dir_ / "seg");
  auto s = segment::create((dir_ / "seg").string(), 0, 4096);
  ASSERT_TRUE(s) << s.error();
  ASSERT_TRUE((*s)->append_run(bytes, headers, write_mode::direct));
  const std::string name = segment::file_name(0, ".log");
  // The files as a crash would leave them: padded to a whole block.
  fs::copy(dir_ / "seg", dir_ / "crashed");
  ASSERT_GT(fs::file_size(dir_ / "crashed" / name), bytes.size());
  ASSERT_EQ(fs::file_size(dir_ / "crashed" / name) % direct_appender::kBlock, 0u);
  recovery_report report;
  auto crashed = segment::open((dir_ / "crashed").string(), 0, 4096, true, {}, report);
  ASSERT_TRUE(crashed) << crashed.error();
  EXPECT_EQ(report.truncated_bytes, 0u) << report.truncation_reason;
  EXPECT_EQ((*crashed)->next_offset(), 15);
  EXPECT_EQ(fs::file_size(dir_ / "crashed" / name), bytes.size());
  // Anything else past the last batch is still damage.
  fs::copy(dir_ / "seg", dir_ / "damaged");
  {
    std::fstream f(dir_ / "damaged" / name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(bytes.size() + 10));
    f.put('x');
  }
  recovery_report damage;
  auto damaged = segment::open((dir_ / "damaged").string(), 0, 4096, true, {}, damage);
  ASSERT_TRUE(damaged) << damaged.error();
  EXPECT_GT(damage.truncated_bytes, 0u);
  EXPECT_EQ((*damaged)->next_offset(), 15);
  // Closed cleanly, the segment trims its own padding.
  s->reset();
  EXPECT_EQ(fs::file_size(dir_ / "seg" / name), bytes.size());
}

}  // namespace
}  // namespace tern::storage
