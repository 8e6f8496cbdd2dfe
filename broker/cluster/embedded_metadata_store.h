// Single-node metadata: one JSON document in the data directory, rewritten atomically
// (write, fsync, rename) on every change so a crash leaves the old or the new version.
#pragma once

#include <memory>
#include <string>

#include "broker/cluster/metadata_store.h"

namespace tern::cluster {

class embedded_metadata_store : public metadata_store {
 public:
  // Loads `<dir>/tern-metadata.json`, creating it (with a new cluster id) when absent.
  static std::expected<std::unique_ptr<embedded_metadata_store>, std::string> open(
      const std::string& dir);

  std::string cluster_id() const override { return cluster_id_; }
  std::vector<topic_info> topics() const override;
  std::optional<topic_info> find_topic(const std::string& name) const override;
  std::expected<bool, std::string> put_topic(const topic_info& topic) override;
  std::expected<void, std::string> remove_topic(const std::string& name) override;
  std::expected<int64_t, std::string> allocate_producer_ids(int64_t count) override;

 private:
  std::expected<void, std::string> save() const;

  std::string path_;
  std::string cluster_id_;
  int64_t next_producer_id_ = 0;
  std::map<std::string, topic_info> topics_;
};

}  // namespace tern::cluster
