// ElectLeaders: move leadership to each partition's preferred replica (type 0), or elect any
// live replica of a partition that has no leader (type 1, unclean: may lose records).
#include <algorithm>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/handlers/partition_state_writes.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kPreferred = 0;

std::expected<cluster::partition_state, error_code> elect(const cluster::cluster_view& view,
                                                          const cluster::partition_state& s,
                                                          int64_t type) {
  auto lead = [&](int32_t id) {
    cluster::partition_state n = s;
    n.leader = id;
    n.leader_epoch = s.leader_epoch + 1;
    n.leader_incarnation = view.brokers.at(id).incarnation;
    if (!n.in_isr(id)) n.isr = {id};
    return n;
  };
  if (type == kPreferred) {
    if (s.replicas.empty()) return std::unexpected(error_code::preferred_leader_not_available);
    const int32_t preferred = s.replicas.front();
    if (s.leader == preferred) return std::unexpected(error_code::election_not_needed);
    if (!view.is_live(preferred) || !s.in_isr(preferred))
      return std::unexpected(error_code::preferred_leader_not_available);
    return lead(preferred);
  }
  if (s.leader >= 0 && view.is_live(s.leader))
    return std::unexpected(error_code::election_not_needed);
  for (int pass = 0; pass < 2; ++pass)
    for (int32_t r : s.replicas)
      if (view.is_live(r) && (pass == 1 || s.in_isr(r))) return lead(r);
  return std::unexpected(error_code::eligible_leaders_not_available);
}

}  // namespace

handler_result elect_leaders(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::elect_leaders().response.fields);
  r["error_code"] = code(error_code::none);
  const int64_t type = cx.api_version >= 1 ? req.integer("election_type") : kPreferred;
  std::vector<cluster::partition_ref> refs;
  if (req.is_null("topic_partitions")) {
    for (const auto& t : b.topics().topics())
      for (int32_t p = 0; p < t.partitions; ++p) refs.push_back({t.name, p});
  } else {
    for (const auto& tv : req.array("topic_partitions")) {
      const auto& t = tv.as_struct();
      for (const auto& p : t.array("partition_id"))
        refs.push_back({t.string("topic"), static_cast<int32_t>(p.as_int())});
    }
  }
  protocol::struct_value* out_topic = nullptr;
  for (const auto& ref : refs) {
    if (out_topic == nullptr || out_topic->string("topic") != ref.topic) {
      out_topic = &r.add("replica_election_results");
      (*out_topic)["topic"] = ref.topic;
    }
    state_write_result result;
    if (b.replicas() == nullptr) {
      // Single-node mode: this broker already leads everything it has.
      result.error = b.topics().partition_log(ref.topic, ref.partition) != nullptr
                         ? error_code::election_not_needed
                         : error_code::unknown_topic_or_partition;
    } else {
      state_change change = [&b, type](const cluster::partition_state& s) {
        return elect(b.replicas()->view(), s, type);
      };
      result = co_await update_partition_state(b, ref, std::move(change));
    }
    auto& out = out_topic->add("partition_result");
    out["partition_id"] = int64_t{ref.partition};
    out["error_code"] = code(result.error);
    set_error_message(out, result.message);
  }
  co_return r;
}

}  // namespace tern::server::handlers
