// Direct appends: exact bytes at any size and position, the partial block carried between
// appends, the page cache left alone, and the zeros past the end recognised as padding.
#include "broker/storage/direct_appender.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/file_util.h"

namespace tern::storage {
namespace {

namespace fs = std::filesystem;

class DirectAppenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        fs::temp_directory_path() / ("tern-direct-test-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd_, 0);
    auto a = direct_appender::open(path_.string());
    if (!a && a.error().unsupported) GTEST_SKIP() << "no O_DIRECT here: " << a.error().message;
    ASSERT_TRUE(a) << a.error().message;
    appender_.emplace(std::move(*a));
  }
  void TearDown() override {
    appender_.reset();
    if (fd_ >= 0) ::close(fd_);
    fs::remove(path_);
  }

  static std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(gen() % 255 + 1);  // never zero, unlike padding
    return s;
  }

  // The file's bytes up to `size`, and what lies past them.
  void expect_file(const std::string& expected) {
    const uint64_t length = *file_size(fd_);
    auto bytes = pread_some(fd_, 0, length);
    ASSERT_TRUE(bytes);
    ASSERT_GE(bytes->size(), expected.size());
    EXPECT_TRUE(bytes->compare(0, expected.size(), expected) == 0);
    const std::string past = bytes->substr(expected.size());
    EXPECT_EQ(length % direct_appender::kBlock, 0u);
    EXPECT_TRUE(past.empty() || is_block_padding(past, length)) << past.size() << " bytes past";
  }

  fs::path path_;
  int fd_ = -1;
  std::optional<direct_appender> appender_;
};

TEST_F(DirectAppenderTest, AppendsOfAnySizeReadBackExactly) {
  std::string expected;
  // Sizes below, at and across a block, and one across the 1 MiB staging chunk.
  const size_t sizes[] = {1, 100, 4095, 1, 4096, 5000, 3 * 1048576 + 7, 61, 8192};
  uint32_t seed = 1;
  for (size_t n : sizes) {
    const std::string data = random_bytes(n, seed++);
    ASSERT_TRUE(appender_->append(data, expected.size(), fd_));
    expected += data;
    expect_file(expected);
  }
}

TEST_F(DirectAppenderTest, ReadsThePartialBlockOthersWrote) {
  std::string expected = random_bytes(1000, 7);
  ASSERT_TRUE(pwrite_all(fd_, expected, 0));
  std::string more = random_bytes(3000, 8);
  ASSERT_TRUE(appender_->append(more, expected.size(), fd_));
  expected += more;
  // A buffered write in between (a leader's append) and a truncation, then direct again.
  std::string buffered = random_bytes(300, 9);
  ASSERT_TRUE(pwrite_all(fd_, buffered, expected.size()));
  expected += buffered;
  appender_->forget_tail();
  more = random_bytes(5000, 10);
  ASSERT_TRUE(appender_->append(more, expected.size(), fd_));
  expected += more;
  expect_file(expected);
  expected.resize(4500);
  ASSERT_TRUE(truncate_file(fd_, expected.size()));
  appender_->forget_tail();
  more = random_bytes(10, 11);
  ASSERT_TRUE(appender_->append(more, expected.size(), fd_));
  expected += more;
  expect_file(expected);
}

TEST_F(DirectAppenderTest, KeepsWhatItWritesOutOfThePageCache) {
  const size_t total = 4 * 1048576;
  uint64_t end = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string data = random_bytes(total / 64 + 13, i);
    ASSERT_TRUE(appender_->append(data, end, fd_));
    end += data.size();
  }
  const size_t length = *file_size(fd_);
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd_, 0);
  ASSERT_NE(map, MAP_FAILED);
  const size_t pages = (length + 4095) / 4096;
  std::vector<unsigned char> resident(pages);
  ASSERT_EQ(::mincore(map, length, resident.data()), 0);
  size_t cached = 0;
  for (unsigned char r : resident) cached += r & 1;
  ::munmap(map, length);
  // A buffered write of the same bytes would leave all ~1025 pages cached.
  EXPECT_LE(cached, 1u) << cached << " of " << pages << " pages in the page cache";
}

TEST(BlockPadding, OnlyZerosShorterThanABlockEndingOnABoundary) {
  EXPECT_TRUE(is_block_padding(std::string(100, '\0'), 8192));
  EXPECT_TRUE(is_block_padding(std::string(4095, '\0'), 4096));
  EXPECT_FALSE(is_block_padding(std::string(4096, '\0'), 8192));  // a whole block of zeros
  EXPECT_FALSE(is_block_padding(std::string(100, '\0'), 8000));   // not on a block boundary
  EXPECT_FALSE(is_block_padding(std::string(99, '\0') + "x", 8192));
  EXPECT_FALSE(is_block_padding("", 8192));
}

}  // namespace
}  // namespace tern::storage
