// The README's tables are copies of the broker's own tables: fail when they drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "broker/server/api_registry.h"
#include "broker/server/broker_config.h"
#include "broker/storage/topic_config.h"

namespace tern::server {
namespace {

std::string readme() {
  std::ifstream in(std::string(TERN_SOURCE_DIR) + "/README.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Docs, ReadmeApiTableMatchesTheRegistry) {
  const std::string text = readme();
  const auto start = text.find("## Supported Kafka APIs");
  ASSERT_NE(start, std::string::npos);
  std::set<std::string> documented;
  std::regex row(R"(\| (\w+) \| (\d+) \| (\d+)-(\d+) \|)");
  const std::string section = text.substr(start, text.find("\n## ", start + 1) - start);
  for (std::sregex_iterator it(section.begin(), section.end(), row), end; it != end; ++it)
    documented.insert((*it)[1].str() + " " + (*it)[2].str() + " " + (*it)[3].str() + "-" +
                      (*it)[4].str());
  std::set<std::string> served;
  for (const auto& h : api_handlers())
    served.insert(std::string(h.schema->name) + " " + std::to_string(h.schema->key) + " " +
                  std::to_string(h.advertised.min) + "-" + std::to_string(h.advertised.max));
  EXPECT_EQ(documented, served);
}

TEST(Docs, EveryConfigKeyIsDocumented) {
  const std::string text = readme();
  for (const auto& [key, fallback] : known_broker_keys())
    EXPECT_NE(text.find("`" + key), std::string::npos) << key << " is not in the README";
  for (const auto& def : storage::topic_config_defs())
    EXPECT_NE(text.find("| `" + std::string(def.name) + "` |"), std::string::npos)
        << def.name << " is not in the README's topic config table";
}

}  // namespace
}  // namespace tern::server
