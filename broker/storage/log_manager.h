// All partition logs of this broker, spread over the directories of log.dirs. Knows whether
// the previous run shut down cleanly (a marker file per directory) and so whether the active
// segments need a CRC scan on open.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/storage/log.h"

namespace tern::storage {

struct partition_key {
  std::string topic;
  int32_t partition;
  auto operator<=>(const partition_key&) const = default;
};

class log_manager {
 public:
  // Prepares the directories and notes (and clears) their clean-shutdown markers.
  static std::expected<std::unique_ptr<log_manager>, std::string> open(
      const std::vector<std::string>& dirs);

  // The log of a partition: opened from disk if it exists there, created otherwise.
  std::expected<log*, std::string> open_log(const partition_key& key, const topic_config& config);
  log* find(const partition_key& key) const;
  const std::map<partition_key, std::unique_ptr<log>>& logs() const { return logs_; }

  // Deletes the logs of a topic (renamed first, so a crash midway leaves no live-looking dir).
  void remove_topic(const std::string& topic);
  // Deletes one partition's log (its replica moved to other brokers).
  void remove_partition(const partition_key& key);

  // Retention and rolling for every log; returns segments deleted.
  size_t housekeeping(int64_t now_ms);
  // Compacts every log with cleanup.policy=compact; returns records removed.
  int64_t compact(int64_t now_ms);
  // Producer snapshots and the clean-shutdown markers; the logs are closed afterwards.
  void shutdown();

  bool recovered_unclean() const { return unclean_; }

 private:
  std::string dir_for_new_log() const;
  std::string existing_dir_of(const partition_key& key) const;

  std::vector<std::string> dirs_;
  bool unclean_ = false;
  std::map<partition_key, std::unique_ptr<log>> logs_;
};

std::string log_dir_name(const partition_key& key);

}  // namespace tern::storage
