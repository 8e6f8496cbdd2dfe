// Topic metadata to and from JSON.
#include "broker/cluster/topic_json.h"

namespace tern::cluster {

std::string to_hex(const topic_id& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : id) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<topic_id> from_hex(const std::string& s) {
  if (s.size() != 32) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  topic_id id{};
  for (size_t i = 0; i < 16; ++i) {
    const int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return id;
}

nlohmann::json topic_to_json(const topic_info& t) {
  nlohmann::json j = {{"name", t.name},
                      {"id", to_hex(t.id)},
                      {"partitions", t.partitions},
                      {"replication_factor", t.replication_factor},
                      {"configs", t.configs}};
  if (!t.assignment.empty()) j["assignment"] = t.assignment;
  return j;
}

std::optional<topic_info> topic_from_json(const nlohmann::json& j) {
  try {
    topic_info t;
    t.name = j.at("name").get<std::string>();
    auto id = from_hex(j.at("id").get<std::string>());
    if (!id) return std::nullopt;
    t.id = *id;
    t.partitions = j.at("partitions").get<int32_t>();
    t.replication_factor = j.at("replication_factor").get<int16_t>();
    t.configs = j.value("configs", std::map<std::string, std::string>{});
    t.assignment = j.value("assignment", std::vector<std::vector<int32_t>>{});
    return t;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace tern::cluster
