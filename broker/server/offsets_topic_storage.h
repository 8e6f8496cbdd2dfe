// The group coordinator's storage on this broker: the __consumer_offsets topic, created on
// first use (compacted, as in Kafka) and read and written through the partition logs.
#pragma once

#include "broker/group/group_coordinator.h"
#include "broker/server/topic_manager.h"

namespace tern::server {

class broker;

class offsets_topic_storage : public group::offsets_storage {
 public:
  explicit offsets_topic_storage(broker& b) : b_(b) {}

  std::expected<void, std::string> ensure_topic(int32_t partitions) override;
  bool topic_exists() override;
  std::expected<void, std::string> append(int32_t partition, std::string& batch) override;
  void scan(int32_t partition, const std::function<void(std::string_view)>& visit) override;
  bool partition_exists(const std::string& topic, int32_t partition) override;

 private:
  broker& b_;
};

}  // namespace tern::server
