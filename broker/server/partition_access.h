// Finds the log a client request for a topic partition is served from, with the error Kafka
// gives when this broker cannot serve it: unknown topic or partition, not the leader (clients
// refresh their metadata), or a stale or future leader epoch. The same call works in
// single-node mode (every partition led here, epoch 0) and cluster mode.
#pragma once

#include <cstdint>
#include <string>

#include "broker/protocol/error_code.h"
#include "broker/replication/replica_manager.h"
#include "broker/storage/log.h"

namespace tern::server {

class broker;

struct leader_partition {
  protocol::error_code error = protocol::error_code::none;
  storage::log* log = nullptr;
  replication::partition_replica* replica = nullptr;  // cluster mode only
  int32_t leader_epoch = 0;

  bool ok() const { return error == protocol::error_code::none; }
  // In-sync replicas now (1 in single-node mode).
  int64_t isr_size() const;
};

// `current_leader_epoch`: -1 skips the epoch check. `for_write`: Produce, which also needs
// this broker's etcd session to be provably alive.
leader_partition find_leader_partition(broker& b, const std::string& topic, int32_t partition,
                                       int32_t current_leader_epoch, bool for_write);

}  // namespace tern::server
