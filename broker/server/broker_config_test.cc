// Broker configuration: layering of file, overrides and environment; validation messages.
#include "broker/server/broker_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tern::server {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(BrokerConfig, DefaultsAreKafkasAndTheIssue) {
  std::vector<std::string> warnings;
  auto c = load_broker_config(config_map{}, warnings);
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->listeners.listeners.size(), 1u);
  EXPECT_EQ(c->listeners.listeners[0].bind.to_string(), "PLAINTEXT://127.0.0.1:9092");
  EXPECT_EQ(c->listeners.inter_broker, "PLAINTEXT");
  EXPECT_EQ(c->admin_listener.port, 9644);
  EXPECT_EQ(c->log_dirs, std::vector<std::string>{"./data"});
  EXPECT_EQ(c->topic_defaults.at("retention.ms"), "604800000");
  EXPECT_TRUE(warnings.empty());
}

TEST(BrokerConfig, FileThenOverridesThenEnvironment) {
  const auto path = write_temp("broker.yaml",
                               "log.dirs: /from/file\nnum.partitions: 3\nlog:\n  retention:\n"
                               "    ms: 1000\n");
  auto raw = config_map::from_file(path);
  ASSERT_TRUE(raw) << raw.error();
  EXPECT_EQ(raw->get("log.retention.ms"), "1000");  // nested keys flatten
  ASSERT_TRUE(raw->set_assignment("num.partitions=5"));
  ASSERT_TRUE(raw->set_assignment("log.dirs=/from/flag"));
  std::string env_entry = "TERN_LOG_DIRS=/from/env";
  char* envp[] = {env_entry.data(), nullptr};
  raw->apply_environment(envp);
  std::vector<std::string> warnings;
  auto c = load_broker_config(*raw, warnings);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->log_dirs, std::vector<std::string>{"/from/env"});
  EXPECT_EQ(c->num_partitions, 5);
  EXPECT_EQ(c->topic_defaults.at("retention.ms"), "1000");
  std::filesystem::remove(path);
}

TEST(BrokerConfig, PropertiesFilesWorkToo) {
  const auto path = write_temp("server.properties", "# comment\nnode.id=7\nlog.dirs = /x,/y\n");
  auto raw = config_map::from_file(path);
  ASSERT_TRUE(raw);
  std::vector<std::string> warnings;
  auto c = load_broker_config(*raw, warnings);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->node_id, 7);
  EXPECT_EQ(c->log_dirs, (std::vector<std::string>{"/x", "/y"}));
  std::filesystem::remove(path);
}

TEST(BrokerConfig, BadValuesNameTheKey) {
  std::vector<std::string> warnings;
  config_map raw;
  raw.set("num.partitions", "many");
  auto c = load_broker_config(raw, warnings);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("num.partitions"), std::string::npos);
  config_map bad_listener;
  bad_listener.set("listeners", "SSL://0.0.0.0:9093");
  EXPECT_FALSE(load_broker_config(bad_listener, warnings));
  config_map bad_topic_default;
  bad_topic_default.set("log.cleanup.policy", "sometimes");
  auto t = load_broker_config(bad_topic_default, warnings);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("log.cleanup.policy"), std::string::npos);
}

TEST(BrokerConfig, UnknownKeysAreWarnings) {
  config_map raw;
  raw.set("log.retention.hourz", "1");
  std::vector<std::string> warnings;
  ASSERT_TRUE(load_broker_config(raw, warnings));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("log.retention.hourz"), std::string::npos);
}

TEST(BrokerConfig, BrokenYamlIsAnError) {
  const auto path = write_temp("broken.yaml", "listeners: [unclosed\n");
  auto raw = config_map::from_file(path);
  EXPECT_FALSE(raw);
  std::filesystem::remove(path);
  EXPECT_FALSE(config_map::from_file("/nonexistent/tern.yaml"));
}

}  // namespace
}  // namespace tern::server
