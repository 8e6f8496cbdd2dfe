// Cluster mode: waits until the in-sync replicas of a group's __consumer_offsets partition
// have everything written there so far (a commit, a new generation and its assignment), so a
// coordinator failover cannot lose what a client was told (offsets.commit.timeout.ms, 5 s).
#pragma once

#include <cstdint>

#include "common/asio.h"

namespace tern::server {
class broker;
}

namespace tern::server::handlers {

// True at once in single-node mode; false if the wait timed out or leadership moved.
boost::asio::awaitable<bool> group_records_replicated(broker& b, int32_t offsets_partition);

}  // namespace tern::server::handlers
