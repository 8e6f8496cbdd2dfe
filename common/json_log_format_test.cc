// JSON log lines stay valid JSON whatever the message holds.
#include "common/json_log_format.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace tern {
namespace {

TEST(JsonLogFormat, MessagesWithQuotesAndNewlinesStayValidJson) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::set_default_logger(logger);
  ASSERT_TRUE(configure_logging("info", "json"));
  spdlog::info("topic \"a\\b\"\nline two\ttab\x01");
  spdlog::debug("below the level");
  const std::string line = out.str();
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "topic \"a\\b\"\nline two\ttab\x01");
}

TEST(JsonLogFormat, UnknownFormatIsRefused) {
  EXPECT_FALSE(configure_logging("info", "xml"));
}

}  // namespace
}  // namespace tern
