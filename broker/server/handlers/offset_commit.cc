// OffsetCommit: store a group's consumed positions. In cluster mode the answer waits until
// the in-sync replicas of the group's __consumer_offsets partition have the commit, so a
// coordinator failover cannot lose an acknowledged commit (offsets.commit.timeout.ms, 5 s).
#include <algorithm>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/group_records_replicated.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/partition_access.h"

namespace tern::server::handlers {

handler_result offset_commit(request_context& cx, protocol::struct_value& req) {
  std::vector<group::partition_commit> commits;
  for (const auto& t : req.array("topics")) {
    const auto& ts = t.as_struct();
    for (const auto& p : ts.array("partitions")) {
      const auto& ps = p.as_struct();
      commits.push_back({ts.string("name"), static_cast<int32_t>(ps.integer("partition_index")),
                         ps.integer("committed_offset"),
                         static_cast<int32_t>(ps.integer("committed_leader_epoch")),
                         ps.is_null("committed_metadata")
                             ? std::nullopt
                             : std::optional<std::string>(ps.string("committed_metadata"))});
    }
  }
  std::optional<std::string> instance;
  if (!req.is_null("group_instance_id")) instance = req.string("group_instance_id");
  const int32_t generation =
      cx.api_version == 0 ? -1 : static_cast<int32_t>(req.integer("generation_id_or_member_epoch"));
  auto errors = cx.b.groups().commit(req.string("group_id"), generation, req.string("member_id"),
                                     instance, commits);
  const bool stored = std::any_of(errors.begin(), errors.end(), [](protocol::error_code e) {
    return e == protocol::error_code::none;
  });
  if (stored &&
      !co_await group_records_replicated(cx.b, cx.b.groups().partition_for(req.string("group_id"))))
    for (auto& e : errors)
      if (e == protocol::error_code::none) e = protocol::error_code::request_timed_out;
  protocol::struct_value out(protocol::messages::offset_commit().response.fields);
  size_t i = 0;
  for (const auto& t : req.array("topics")) {
    const auto& ts = t.as_struct();
    auto& ot = out.add("topics");
    ot["name"] = ts.string("name");
    for (const auto& p : ts.array("partitions")) {
      auto& op = ot.add("partitions");
      op["partition_index"] = p.as_struct().integer("partition_index");
      op["error_code"] = code(errors[i++]);
    }
  }
  co_return out;
}

}  // namespace tern::server::handlers
