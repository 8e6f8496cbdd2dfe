// Topic names and lifecycle rules, against a real metadata file and real logs.
#include "broker/server/topic_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "broker/cluster/embedded_metadata_store.h"

namespace tern::server {
namespace {

using protocol::error_code;

TEST(TopicNames, KafkasRules) {
  EXPECT_TRUE(validate_topic_name("quickstart-events").ok());
  EXPECT_TRUE(validate_topic_name("a.b_c-D9").ok());
  EXPECT_TRUE(validate_topic_name(std::string(249, 'x')).ok());
  EXPECT_EQ(validate_topic_name(std::string(250, 'x')).error, error_code::invalid_topic_exception);
  EXPECT_EQ(validate_topic_name("").error, error_code::invalid_topic_exception);
  EXPECT_EQ(validate_topic_name(".").error, error_code::invalid_topic_exception);
  EXPECT_EQ(validate_topic_name("..").error, error_code::invalid_topic_exception);
  EXPECT_EQ(validate_topic_name("has space").error, error_code::invalid_topic_exception);
  EXPECT_EQ(validate_topic_name("slash/").error, error_code::invalid_topic_exception);
}

class TopicManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-topics-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::vector<std::string> warnings;
    config_map raw;
    raw.set("log.dirs", dir_.string());
    config_ = *load_broker_config(raw, warnings);
    reopen();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void reopen() {
    topics_.reset();
    if (logs_) logs_->shutdown();
    store_ = std::move(*cluster::embedded_metadata_store::open(dir_.string()));
    logs_ = std::move(*storage::log_manager::open({dir_.string()}));
    topics_ = std::make_unique<topic_manager>(config_, *store_, *logs_);
    ASSERT_TRUE(topics_->load());
  }

  std::filesystem::path dir_;
  broker_config config_;
  std::unique_ptr<cluster::metadata_store> store_;
  std::unique_ptr<storage::log_manager> logs_;
  std::unique_ptr<topic_manager> topics_;
};

TEST_F(TopicManagerTest, CreateValidatesAndPersists) {
  EXPECT_TRUE(topics_->create("orders", 3, 1, {{"retention.ms", "1000"}}, false).ok());
  EXPECT_EQ(topics_->create("orders", 3, 1, {}, false).error, error_code::topic_already_exists);
  EXPECT_EQ(topics_->create("or_ders", 1, 1, {}, false).ok(), true);
  EXPECT_EQ(topics_->create("or.ders", 1, 1, {}, false).error, error_code::invalid_topic_exception);
  EXPECT_EQ(topics_->create("x", 0, 1, {}, false).error, error_code::invalid_partitions);
  EXPECT_EQ(topics_->create("x", 1, 3, {}, false).error, error_code::invalid_replication_factor);
  EXPECT_EQ(topics_->create("x", 1, 1, {{"retention.ms", "soon"}}, false).error,
            error_code::invalid_config);
  EXPECT_TRUE(topics_->create("checked", 1, 1, {}, true).ok());
  EXPECT_FALSE(topics_->find("checked"));  // validate_only creates nothing
  reopen();
  auto t = topics_->find("orders");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->partitions, 3);
  EXPECT_EQ(t->configs.at("retention.ms"), "1000");
  EXPECT_NE(topics_->partition_log("orders", 2), nullptr);
}

TEST_F(TopicManagerTest, PartitionsOnlyGrow) {
  ASSERT_TRUE(topics_->create("t", 2, 1, {}, false).ok());
  EXPECT_EQ(topics_->add_partitions("t", 2, false).error, error_code::invalid_partitions);
  EXPECT_TRUE(topics_->add_partitions("t", 5, false).ok());
  EXPECT_NE(topics_->partition_log("t", 4), nullptr);
  EXPECT_EQ(topics_->add_partitions("nope", 5, false).error,
            error_code::unknown_topic_or_partition);
}

TEST_F(TopicManagerTest, IncrementalAndFullConfigChanges) {
  ASSERT_TRUE(topics_->create("t", 1, 1, {{"retention.ms", "1000"}}, false).ok());
  EXPECT_TRUE(
      topics_->alter_configs("t", {{"segment.bytes", "2048", config_op::set}}, true, false).ok());
  EXPECT_EQ(topics_->find("t")->configs.size(), 2u);
  EXPECT_TRUE(
      topics_->alter_configs("t", {{"cleanup.policy", "compact", config_op::append}}, true, false)
          .ok());
  EXPECT_EQ(topics_->find("t")->configs.at("cleanup.policy"), "delete,compact");
  EXPECT_TRUE(
      topics_->alter_configs("t", {{"segment.bytes", "4096", config_op::set}}, false, false).ok());
  EXPECT_EQ(topics_->find("t")->configs.size(), 1u);  // AlterConfigs replaces everything
  EXPECT_EQ(topics_->alter_configs("t", {{"bogus", "1", config_op::set}}, true, false).error,
            error_code::invalid_config);
  EXPECT_EQ(topics_->partition_log("t", 0)->config().segment_bytes, 4096);
}

TEST_F(TopicManagerTest, DeleteRemovesMetadataAndFiles) {
  ASSERT_TRUE(topics_->create("gone", 2, 1, {}, false).ok());
  const auto dir = topics_->partition_log("gone", 0)->dir();
  EXPECT_TRUE(std::filesystem::exists(dir));
  EXPECT_TRUE(topics_->remove("gone").ok());
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(topics_->remove("gone").error, error_code::unknown_topic_or_partition);
  reopen();
  EXPECT_FALSE(topics_->find("gone"));
}

}  // namespace
}  // namespace tern::server
