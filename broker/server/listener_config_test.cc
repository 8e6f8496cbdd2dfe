// Listener configuration: several named listeners, advertised addresses per name, the
// protocol map and the inter-broker listener, and the errors for what cannot work.
#include "broker/server/listener_config.h"

#include <gtest/gtest.h>

namespace tern::server {
namespace {

std::expected<listeners_config, std::string> load(
    const std::map<std::string, std::string>& settings) {
  config_map raw;
  for (const auto& [k, v] : settings) raw.set(k, v);
  return load_listeners(raw);
}

TEST(ListenerConfig, OnePlaintextListenerByDefault) {
  auto c = load({});
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].name, "PLAINTEXT");
  EXPECT_EQ(c->listeners[0].bind.to_string(), "PLAINTEXT://127.0.0.1:9092");
  EXPECT_FALSE(c->listeners[0].advertised);
  EXPECT_EQ(c->inter_broker_listener().name, "PLAINTEXT");
}

TEST(ListenerConfig, NamedListenersWithAdvertisedAddresses) {
  auto c = load({{"listeners", "INTERNAL://0.0.0.0:9092, EXTERNAL://0.0.0.0:9094"},
                 {"advertised.listeners",
                  "EXTERNAL://203.0.113.7:31001,INTERNAL://tern-0.tern-brokers.default.svc:9092"},
                 {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"},
                 {"inter.broker.listener.name", "INTERNAL"}});
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->listeners.size(), 2u);
  EXPECT_EQ(c->listeners[1].name, "EXTERNAL");
  EXPECT_EQ(c->listeners[1].bind.port, 9094);
  ASSERT_TRUE(c->listeners[1].advertised);
  EXPECT_EQ(c->listeners[1].advertised->host, "203.0.113.7");
  EXPECT_EQ(c->listeners[1].advertised->port, 31001);
  EXPECT_EQ(c->inter_broker_listener().advertised->host, "tern-0.tern-brokers.default.svc");
  // Without inter.broker.listener.name, the first listener.
  auto first = load({{"listeners", "EXTERNAL://0.0.0.0:9094,INTERNAL://0.0.0.0:9092"},
                     {"listener.security.protocol.map", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"}});
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->inter_broker, "EXTERNAL");
}

TEST(ListenerConfig, WhatCannotWorkIsRefusedWithTheReason) {
  auto expect_error = [](const std::map<std::string, std::string>& settings,
                         const std::string& part) {
    auto c = load(settings);
    ASSERT_FALSE(c) << "accepted: " << settings.begin()->second;
    EXPECT_NE(c.error().find(part), std::string::npos) << c.error();
  };
  expect_error({{"listeners", "SSL://0.0.0.0:9093"}}, "only PLAINTEXT");
  expect_error({{"listeners", "EXTERNAL://0.0.0.0:9094"}}, "listener.security.protocol.map");
  expect_error({{"listeners", "EXTERNAL://0.0.0.0:9094"},
                {"listener.security.protocol.map", "EXTERNAL:SASL_SSL"}},
               "only PLAINTEXT");
  expect_error({{"listeners", "PLAINTEXT://0.0.0.0:9092,PLAINTEXT://0.0.0.0:9093"}}, "twice");
  expect_error({{"listeners", "A://0.0.0.0:9092,B://0.0.0.0:9092"},
                {"listener.security.protocol.map", "A:PLAINTEXT,B:PLAINTEXT"}},
               "used twice");
  expect_error({{"listeners", "PLAINTEXT://0.0.0.0:9092"},
                {"advertised.listeners", "EXTERNAL://example.com:9094"}},
               "not in listeners");
  expect_error(
      {{"listeners", "PLAINTEXT://0.0.0.0:9092"}, {"inter.broker.listener.name", "INTERNAL"}},
      "not in listeners");
  expect_error(
      {{"listeners", "PLAINTEXT://0.0.0.0:9092"}, {"listener.security.protocol.map", "PLAINTEXT"}},
      "NAME:PROTOCOL");
  expect_error({{"listeners", "PLAINTEXT://0.0.0.0"}}, "no port");
}

}  // namespace
}  // namespace tern::server
