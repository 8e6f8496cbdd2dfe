// Topic config validation and resolution over broker defaults.
#include "broker/storage/topic_config.h"

#include <gtest/gtest.h>

namespace tern::storage {
namespace {

TEST(TopicConfig, ValidValuesPass) {
  EXPECT_TRUE(validate_topic_config("retention.ms", "-1"));
  EXPECT_TRUE(validate_topic_config("cleanup.policy", "compact,delete"));
  EXPECT_TRUE(validate_topic_config("message.timestamp.type", "LogAppendTime"));
}

TEST(TopicConfig, InvalidValuesSayWhy) {
  auto unknown = validate_topic_config("retention.msec", "1");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("Unknown topic config"), std::string::npos);
  auto nan = validate_topic_config("segment.bytes", "big");
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().find("segment.bytes"), std::string::npos);
  EXPECT_FALSE(validate_topic_config("segment.bytes", "10"));  // below the minimum
  EXPECT_FALSE(validate_topic_config("cleanup.policy", "forever"));
  EXPECT_FALSE(validate_topic_config("max.message.bytes", "99999999999"));
}

TEST(TopicConfig, OverridesWinOverBrokerDefaults) {
  config_map broker;
  broker.set("log.retention.hours", "1");
  broker.set("log.segment.bytes", "1048576");
  auto defaults = topic_defaults_from(broker);
  EXPECT_EQ(defaults.at("retention.ms"), "3600000");
  auto c =
      resolve_topic_config(defaults, {{"segment.bytes", "2048"}, {"cleanup.policy", "compact"}});
  EXPECT_EQ(c.retention_ms, 3'600'000);
  EXPECT_EQ(c.segment_bytes, 2048);
  EXPECT_TRUE(c.cleanup_compact);
  EXPECT_FALSE(c.cleanup_delete);
}

}  // namespace
}  // namespace tern::storage
