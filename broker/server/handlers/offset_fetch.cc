// OffsetFetch: a group's committed offsets, for one group (v0-7) or several (v8).
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

// Fills `topics_out` (an array of {name, partitions[...]}) for one group; a null topic list
// asks for every committed partition.
error_code fill_group(broker& b, const std::string& group_id, const protocol::value& topics,
                      protocol::struct_value& parent) {
  if (auto e = b.groups().coordinator_error(group_id); e != error_code::none) return e;
  const auto committed = b.groups().committed(group_id);
  auto add_partition = [](protocol::struct_value& t, int32_t partition,
                          const group::committed_offset* c) {
    auto& p = t.add("partitions");
    p["partition_index"] = int64_t{partition};
    p["committed_offset"] = c ? c->offset : int64_t{-1};
    p["committed_leader_epoch"] = int64_t{c ? c->leader_epoch : -1};
    p["metadata"] = c ? c->metadata : std::string();
    p["error_code"] = code(error_code::none);
  };
  if (topics.is_null()) {
    // The map is ordered by topic, so each topic's partitions come together.
    std::string current;
    for (const auto& [key, c] : committed) {
      if (parent.array("topics").empty() || key.first != current) {
        parent.add("topics")["name"] = key.first;
        current = key.first;
      }
      add_partition(parent.array("topics").back().as_struct(), key.second, &c);
    }
    return error_code::none;
  }
  for (const auto& tv : topics.as_array()) {
    const auto& ts = tv.as_struct();
    auto& t = parent.add("topics");
    t["name"] = ts.string("name");
    for (const auto& p : ts.array("partition_indexes")) {
      const int32_t partition = static_cast<int32_t>(p.as_int());
      auto it = committed.find({ts.string("name"), partition});
      add_partition(t, partition, it == committed.end() ? nullptr : &it->second);
    }
  }
  return error_code::none;
}

}  // namespace

handler_result offset_fetch(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value out(protocol::messages::offset_fetch().response.fields);
  if (cx.api_version >= 8) {
    for (const auto& g : req.array("groups")) {
      const auto& gs = g.as_struct();
      auto& og = out.add("groups");
      og["group_id"] = gs.string("group_id");
      og["error_code"] = code(fill_group(cx.b, gs.string("group_id"), gs["topics"], og));
    }
    co_return out;
  }
  const auto e = fill_group(cx.b, req.string("group_id"), req["topics"], out);
  out["error_code"] = code(e);
  co_return out;
}

}  // namespace tern::server::handlers
