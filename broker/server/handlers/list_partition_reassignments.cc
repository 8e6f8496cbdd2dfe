// ListPartitionReassignments: the partitions whose replicas are moving, with the replicas
// being added and removed.
#include <set>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

handler_result list_partition_reassignments(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value r(protocol::messages::list_partition_reassignments().response.fields);
  r["error_code"] = code(error_code::none);
  r["error_message"] = protocol::value::null();
  if (cx.b.replicas() == nullptr) co_return r;  // single-node mode: nothing ever moves
  const auto& view = cx.b.replicas()->view();
  // Null topics: every partition; otherwise the ones asked about.
  std::set<cluster::partition_ref> asked;
  const bool all = req.is_null("topics");
  if (!all)
    for (const auto& tv : req.array("topics")) {
      const auto& t = tv.as_struct();
      for (const auto& p : t.array("partition_indexes"))
        asked.insert({t.string("name"), static_cast<int32_t>(p.as_int())});
    }
  protocol::struct_value* out_topic = nullptr;
  for (const auto& [ref, p] : view.partitions) {
    if (!p.state.reassigning() || (!all && !asked.contains(ref))) continue;
    if (out_topic == nullptr || out_topic->string("name") != ref.topic) {
      out_topic = &r.add("topics");
      (*out_topic)["name"] = ref.topic;
    }
    auto& out = out_topic->add("partitions");
    out["partition_index"] = int64_t{ref.partition};
    for (int32_t id : p.state.replicas) out.array("replicas").push_back(int64_t{id});
    for (int32_t id : p.state.adding) out.array("adding_replicas").push_back(int64_t{id});
    for (int32_t id : p.state.removing) out.array("removing_replicas").push_back(int64_t{id});
  }
  co_return r;
}

}  // namespace tern::server::handlers
