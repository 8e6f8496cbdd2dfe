// Changing one partition's state in etcd on a client's behalf (reassignments, elections):
// read it from the current view, let `change` compute the next state, write it with
// compare-and-swap, and start over from a fresh view when another writer got there first.
#pragma once

#include <expected>
#include <functional>
#include <string>

#include "broker/cluster/cluster_model.h"
#include "broker/protocol/error_code.h"
#include "broker/server/broker.h"

namespace tern::server::handlers {

struct state_write_result {
  protocol::error_code error = protocol::error_code::none;
  std::string message;
};

// Arguments are taken by value: they live in the coroutine frame across its suspensions.
using state_change = std::function<std::expected<cluster::partition_state, protocol::error_code>(
    const cluster::partition_state&)>;

boost::asio::awaitable<state_write_result> update_partition_state(broker& b,
                                                                  cluster::partition_ref ref,
                                                                  state_change change);

}  // namespace tern::server::handlers
