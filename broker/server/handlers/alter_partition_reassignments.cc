// AlterPartitionReassignments: start, change or cancel (null replicas) moving a partition's
// replicas to other brokers. The new replicas catch up as followers; the controller finishes
// the move once they are all in sync, and moves leadership if the leader is leaving.
#include <algorithm>
#include <set>

#include "broker/cluster/controller_plan.h"
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/handlers/partition_state_writes.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

struct outcome {
  error_code error = error_code::none;
  std::string message;
};

// The replicas asked for, or why they cannot be used.
std::expected<std::vector<int32_t>, outcome> wanted_replicas(broker& b,
                                                             const protocol::value_array& ids) {
  std::vector<int32_t> out;
  std::set<int32_t> seen;
  for (const auto& v : ids) {
    const auto id = static_cast<int32_t>(v.as_int());
    if (!seen.insert(id).second)
      return std::unexpected(outcome{error_code::invalid_replica_assignment,
                                     "broker " + std::to_string(id) + " is listed twice"});
    const bool known =
        b.replicas() == nullptr ? id == b.node_id() : b.replicas()->view().is_live(id);
    if (!known)
      return std::unexpected(outcome{error_code::invalid_replica_assignment,
                                     "broker " + std::to_string(id) + " is not alive"});
    out.push_back(id);
  }
  if (out.empty())
    return std::unexpected(outcome{error_code::invalid_replica_assignment, "no replicas given"});
  return out;
}

// `target`: nullopt cancels the partition's reassignment.
boost::asio::awaitable<outcome> reassign(broker& b, cluster::partition_ref ref,
                                         std::optional<std::vector<int32_t>> target) {
  if (b.replicas() == nullptr) {
    // Single-node mode: the only possible replica list is this broker.
    if (!target) co_return outcome{error_code::no_reassignment_in_progress, ""};
    co_return outcome{};
  }
  state_change change = [target](const cluster::partition_state& s)
      -> std::expected<cluster::partition_state, error_code> {
    if (!target) {
      if (!s.reassigning()) return std::unexpected(error_code::no_reassignment_in_progress);
      return cluster::start_reassignment(s, s.original());
    }
    return cluster::start_reassignment(s, *target);
  };
  auto r = co_await update_partition_state(b, std::move(ref), std::move(change));
  co_return outcome{r.error, r.message};
}

}  // namespace

handler_result alter_partition_reassignments(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value r(protocol::messages::alter_partition_reassignments().response.fields);
  r["error_code"] = code(error_code::none);
  r["error_message"] = protocol::value::null();
  for (const auto& topic_value : req.array("topics")) {
    const auto& topic = topic_value.as_struct();
    auto& out_topic = r.add("responses");
    out_topic["name"] = topic.string("name");
    for (const auto& part_value : topic.array("partitions")) {
      const auto& part = part_value.as_struct();
      const auto index = static_cast<int32_t>(part.integer("partition_index"));
      outcome result;
      std::optional<std::vector<int32_t>> target;
      if (!part["replicas"].is_null()) {
        auto w = wanted_replicas(cx.b, part["replicas"].as_array());
        if (w)
          target = std::move(*w);
        else
          result = w.error();
      }
      if (result.error == error_code::none) {
        cluster::partition_ref ref{topic.string("name"), index};
        result = co_await reassign(cx.b, std::move(ref), std::move(target));
      }
      auto& out = out_topic.add("partitions");
      out["partition_index"] = int64_t{index};
      out["error_code"] = code(result.error);
      set_error_message(out, result.message);
    }
  }
  co_return r;
}

}  // namespace tern::server::handlers
