// The table of served APIs.
#include "broker/server/api_registry.h"

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

const std::vector<api_handler>& api_handlers() {
  namespace m = protocol::messages;
  namespace h = handlers;
  static const std::vector<api_handler> table = {
      {&m::produce(), h::produce, m::produce().request.valid},
      {&m::fetch(), h::fetch, protocol::versions(4, 13)},
      {&m::list_offsets(), h::list_offsets, m::list_offsets().request.valid},
      {&m::offset_commit(), h::offset_commit, m::offset_commit().request.valid},
      {&m::offset_fetch(), h::offset_fetch, m::offset_fetch().request.valid},
      {&m::metadata(), h::metadata, m::metadata().request.valid},
      {&m::find_coordinator(), h::find_coordinator, m::find_coordinator().request.valid},
      {&m::join_group(), h::join_group, m::join_group().request.valid},
      {&m::heartbeat(), h::heartbeat, m::heartbeat().request.valid},
      {&m::leave_group(), h::leave_group, m::leave_group().request.valid},
      {&m::sync_group(), h::sync_group, m::sync_group().request.valid},
      {&m::describe_groups(), h::describe_groups, m::describe_groups().request.valid},
      {&m::list_groups(), h::list_groups, m::list_groups().request.valid},
      {&m::api_versions(), h::api_versions, m::api_versions().request.valid},
      {&m::create_topics(), h::create_topics, m::create_topics().request.valid},
      {&m::delete_topics(), h::delete_topics, m::delete_topics().request.valid},
      {&m::init_producer_id(), h::init_producer_id, m::init_producer_id().request.valid},
      {&m::offset_for_leader_epoch(), h::offset_for_leader_epoch,
       m::offset_for_leader_epoch().request.valid},
      {&m::describe_configs(), h::describe_configs, m::describe_configs().request.valid},
      {&m::alter_configs(), h::alter_configs, m::alter_configs().request.valid},
      {&m::create_partitions(), h::create_partitions, m::create_partitions().request.valid},
      {&m::delete_groups(), h::delete_groups, m::delete_groups().request.valid},
      {&m::incremental_alter_configs(), h::incremental_alter_configs,
       m::incremental_alter_configs().request.valid},
      {&m::elect_leaders(), h::elect_leaders, m::elect_leaders().request.valid},
      {&m::alter_partition_reassignments(), h::alter_partition_reassignments,
       m::alter_partition_reassignments().request.valid},
      {&m::list_partition_reassignments(), h::list_partition_reassignments,
       m::list_partition_reassignments().request.valid},
      {&m::offset_delete(), h::offset_delete, m::offset_delete().request.valid},
      {&m::describe_cluster(), h::describe_cluster, m::describe_cluster().request.valid},
  };
  return table;
}

const api_handler* find_api_handler(int16_t api_key) {
  for (const auto& h : api_handlers())
    if (h.schema->key == api_key) return &h;
  return nullptr;
}

}  // namespace tern::server
