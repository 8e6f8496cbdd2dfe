// The embedded metadata store of single-node mode.
#include "broker/cluster/embedded_metadata_store.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>

#include "broker/cluster/topic_json.h"
#include "common/file_util.h"

namespace tern::cluster {

topic_id random_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  topic_id id{};
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k) id[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  id[6] = static_cast<uint8_t>((id[6] & 0x0f) | 0x40);  // version 4
  id[8] = static_cast<uint8_t>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

std::expected<std::unique_ptr<embedded_metadata_store>, std::string> embedded_metadata_store::open(
    const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected("create " + dir + ": " + ec.message());
  auto store = std::make_unique<embedded_metadata_store>();
  store->path_ = dir + "/tern-metadata.json";
  if (!std::filesystem::exists(store->path_)) {
    store->cluster_id_ = to_hex(random_uuid());
    if (auto s = store->save(); !s) return std::unexpected(s.error());
    return store;
  }
  auto text = read_whole_file(store->path_);
  if (!text) return std::unexpected(text.error());
  try {
    auto j = nlohmann::json::parse(*text);
    store->cluster_id_ = j.at("cluster_id").get<std::string>();
    store->next_producer_id_ = j.value("next_producer_id", int64_t{0});
    for (const auto& t : j.at("topics")) {
      auto info = topic_from_json(t);
      if (!info) return std::unexpected(store->path_ + ": malformed topic entry " + t.dump());
      info->version = 1;
      store->topics_[info->name] = std::move(*info);
    }
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(store->path_ + ": " + e.what());
  }
  return store;
}

std::expected<void, std::string> embedded_metadata_store::save() const {
  nlohmann::json j;
  j["cluster_id"] = cluster_id_;
  j["next_producer_id"] = next_producer_id_;
  j["topics"] = nlohmann::json::array();
  for (const auto& [name, t] : topics_) j["topics"].push_back(topic_to_json(t));
  return write_file_atomically(path_, j.dump(2));
}

std::vector<topic_info> embedded_metadata_store::topics() const {
  std::vector<topic_info> out;
  for (const auto& [name, t] : topics_) out.push_back(t);
  return out;
}

std::optional<topic_info> embedded_metadata_store::find_topic(const std::string& name) const {
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second;
}

std::expected<bool, std::string> embedded_metadata_store::put_topic(const topic_info& topic) {
  auto previous = topics_.find(topic.name);
  std::optional<topic_info> old;
  if (previous != topics_.end()) old = previous->second;
  if ((old ? old->version : 0) != topic.version) return false;  // loaded topics are version 1
  // One broker writes here, so the version only counts this process's writes.
  topic_info stored = topic;
  stored.version = topic.version + 1;
  topics_[topic.name] = stored;
  if (auto s = save(); !s) {
    if (old)
      topics_[topic.name] = *old;
    else
      topics_.erase(topic.name);
    return std::unexpected(s.error());
  }
  return true;
}

std::expected<void, std::string> embedded_metadata_store::remove_topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return {};
  topic_info old = it->second;
  topics_.erase(it);
  if (auto s = save(); !s) {
    topics_[name] = old;
    return s;
  }
  return {};
}

std::expected<int64_t, std::string> embedded_metadata_store::allocate_producer_ids(int64_t count) {
  const int64_t first = next_producer_id_;
  next_producer_id_ += count;
  if (auto s = save(); !s) {
    next_producer_id_ = first;
    return std::unexpected(s.error());
  }
  return first;
}

}  // namespace tern::cluster
