// Opening, creating and deleting partition logs across log.dirs.
#include "broker/storage/log_manager.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "common/file_util.h"

namespace tern::storage {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCleanShutdownMarker = ".tern_clean_shutdown";

}  // namespace

std::string log_dir_name(const partition_key& key) {
  return key.topic + "-" + std::to_string(key.partition);
}

std::expected<std::unique_ptr<log_manager>, std::string> log_manager::open(
    const std::vector<std::string>& dirs) {
  auto m = std::make_unique<log_manager>();
  m->dirs_ = dirs;
  bool any_data = false;
  bool all_clean = true;
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return std::unexpected("cannot create log dir " + d + ": " + ec.message());
    const fs::path marker = fs::path(d) / kCleanShutdownMarker;
    for (const auto& entry : fs::directory_iterator(d)) {
      if (entry.is_directory()) any_data = true;
      // Finish deletions that a crash interrupted.
      if (entry.is_directory() && entry.path().filename().string().ends_with("-delete"))
        fs::remove_all(entry.path(), ec);
    }
    if (!fs::exists(marker)) all_clean = false;
    fs::remove(marker, ec);
  }
  m->unclean_ = any_data && !all_clean;
  if (m->unclean_) spdlog::warn("previous shutdown was not clean: validating active segments");
  return m;
}

std::string log_manager::existing_dir_of(const partition_key& key) const {
  for (const auto& d : dirs_) {
    fs::path p = fs::path(d) / log_dir_name(key);
    if (fs::is_directory(p)) return p.string();
  }
  return {};
}

std::string log_manager::dir_for_new_log() const {
  // The directory holding the fewest partitions, as Kafka places new ones.
  std::string best = dirs_.front();
  size_t best_count = SIZE_MAX;
  for (const auto& d : dirs_) {
    size_t n = 0;
    for (const auto& [k, l] : logs_)
      if (l->dir().starts_with(d + "/")) ++n;
    if (n < best_count) {
      best = d;
      best_count = n;
    }
  }
  return best;
}

std::expected<log*, std::string> log_manager::open_log(const partition_key& key,
                                                       const topic_config& config) {
  if (auto* l = find(key)) return l;
  std::string dir = existing_dir_of(key);
  if (dir.empty()) dir = (fs::path(dir_for_new_log()) / log_dir_name(key)).string();
  auto l = log::open({dir, config, unclean_});
  if (!l) return std::unexpected(l.error());
  log* raw = l->get();
  logs_[key] = std::move(*l);
  return raw;
}

log* log_manager::find(const partition_key& key) const {
  auto it = logs_.find(key);
  return it == logs_.end() ? nullptr : it->second.get();
}

namespace {

// Renamed first, so a crash midway leaves no directory that looks like a live log.
void delete_log_dir(const std::string& dir) {
  const std::string doomed = dir + "." + std::to_string(::time(nullptr)) + "-delete";
  std::error_code ec;
  fs::rename(dir, doomed, ec);
  fs::remove_all(ec ? fs::path(dir) : fs::path(doomed), ec);
}

}  // namespace

void log_manager::remove_topic(const std::string& topic) {
  for (auto it = logs_.begin(); it != logs_.end();) {
    if (it->first.topic != topic) {
      ++it;
      continue;
    }
    const std::string dir = it->second->dir();
    it = logs_.erase(it);
    delete_log_dir(dir);
  }
}

void log_manager::remove_partition(const partition_key& key) {
  auto it = logs_.find(key);
  if (it == logs_.end()) return;
  const std::string dir = it->second->dir();
  logs_.erase(it);
  delete_log_dir(dir);
}

size_t log_manager::housekeeping(int64_t now_ms) {
  size_t deleted = 0;
  for (auto& [key, l] : logs_) deleted += l->housekeeping(now_ms);
  return deleted;
}

int64_t log_manager::compact(int64_t now_ms) {
  int64_t removed = 0;
  for (auto& [key, l] : logs_) {
    if (!l->config().cleanup_compact) continue;
    auto stats = compact_log(*l, now_ms);
    if (!stats) {
      spdlog::error("compaction of {} failed: {}", log_dir_name(key), stats.error());
      continue;
    }
    if (stats->records_removed > 0)
      spdlog::info("compacted {}: {} records removed, {} -> {} bytes in {} segments",
                   log_dir_name(key), stats->records_removed, stats->bytes_before,
                   stats->bytes_after, stats->segments_cleaned + stats->segments_removed);
    removed += stats->records_removed;
  }
  return removed;
}

void log_manager::shutdown() {
  for (auto& [key, l] : logs_) {
    l->checkpoint();
    l->flush();
  }
  logs_.clear();
  for (const auto& d : dirs_) {
    std::ofstream marker(fs::path(d) / kCleanShutdownMarker);
    marker << "clean\n";
    marker.close();
    fsync_directory(d);
  }
}

}  // namespace tern::storage
