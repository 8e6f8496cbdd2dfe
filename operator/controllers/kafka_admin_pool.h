// One Kafka admin client per bootstrap address, created on first use and shared by the
// reconciler's workers.
#pragma once

#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "operator/controllers/kafka_topic_admin.h"

namespace tern::op::controllers {

class kafka_admin_pool {
 public:
  explicit kafka_admin_pool(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  std::expected<std::shared_ptr<kafka_topic_admin>, std::string> get(const std::string& bootstrap) {
    std::lock_guard lock(mutex_);
    if (auto it = clients_.find(bootstrap); it != clients_.end()) return it->second;
    auto made = kafka_topic_admin::connect(bootstrap, timeout_);
    if (!made) return std::unexpected(made.error());
    std::shared_ptr<kafka_topic_admin> shared = std::move(*made);
    clients_[bootstrap] = shared;
    return shared;
  }

 private:
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<kafka_topic_admin>> clients_;
};

}  // namespace tern::op::controllers
