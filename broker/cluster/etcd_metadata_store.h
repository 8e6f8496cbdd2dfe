// Metadata kept in etcd, so every broker of a cluster sees the same topics: one JSON value
// per topic under <prefix>/topics/, the cluster id at <prefix>/cluster_id (created once with a
// compare-and-put) and a producer-id counter advanced by compare-and-put.
#pragma once

#include <memory>
#include <string>

#include "broker/cluster/etcd_client.h"
#include "broker/cluster/metadata_store.h"
#include "broker/cluster/topic_json.h"

namespace tern::cluster {

class etcd_metadata_store : public metadata_store {
 public:
  // `prefix` namespaces one cluster's keys, e.g. "/tern".
  static std::expected<std::unique_ptr<etcd_metadata_store>, std::string> open(
      std::unique_ptr<etcd_client> client, const std::string& prefix);

  std::string cluster_id() const override { return cluster_id_; }
  std::vector<topic_info> topics() const override;
  std::optional<topic_info> find_topic(const std::string& name) const override;
  std::expected<bool, std::string> put_topic(const topic_info& topic) override;
  std::expected<void, std::string> remove_topic(const std::string& name) override;
  std::expected<int64_t, std::string> allocate_producer_ids(int64_t count) override;

 private:
  etcd_metadata_store(std::unique_ptr<etcd_client> client, std::string prefix);

  std::unique_ptr<etcd_client> client_;
  std::string prefix_;
  std::string cluster_id_;
};

}  // namespace tern::cluster
