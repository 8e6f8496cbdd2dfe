// One handler per Kafka API, each in its own file: decode -> validate -> hand to the owning
// subsystem -> respond.
#pragma once

#include "broker/server/request_context.h"

namespace tern::server::handlers {

handler_result produce(request_context& cx, protocol::struct_value& request);
handler_result fetch(request_context& cx, protocol::struct_value& request);
handler_result list_offsets(request_context& cx, protocol::struct_value& request);
handler_result metadata(request_context& cx, protocol::struct_value& request);
handler_result find_coordinator(request_context& cx, protocol::struct_value& request);
handler_result offset_commit(request_context& cx, protocol::struct_value& request);
handler_result offset_fetch(request_context& cx, protocol::struct_value& request);
handler_result join_group(request_context& cx, protocol::struct_value& request);
handler_result heartbeat(request_context& cx, protocol::struct_value& request);
handler_result leave_group(request_context& cx, protocol::struct_value& request);
handler_result sync_group(request_context& cx, protocol::struct_value& request);
handler_result describe_groups(request_context& cx, protocol::struct_value& request);
handler_result list_groups(request_context& cx, protocol::struct_value& request);
handler_result delete_groups(request_context& cx, protocol::struct_value& request);
handler_result offset_delete(request_context& cx, protocol::struct_value& request);
handler_result api_versions(request_context& cx, protocol::struct_value& request);
handler_result create_topics(request_context& cx, protocol::struct_value& request);
handler_result delete_topics(request_context& cx, protocol::struct_value& request);
handler_result init_producer_id(request_context& cx, protocol::struct_value& request);
handler_result describe_configs(request_context& cx, protocol::struct_value& request);
handler_result alter_configs(request_context& cx, protocol::struct_value& request);
handler_result create_partitions(request_context& cx, protocol::struct_value& request);
handler_result incremental_alter_configs(request_context& cx, protocol::struct_value& request);
handler_result describe_cluster(request_context& cx, protocol::struct_value& request);
handler_result offset_for_leader_epoch(request_context& cx, protocol::struct_value& request);
handler_result elect_leaders(request_context& cx, protocol::struct_value& request);
handler_result alter_partition_reassignments(request_context& cx, protocol::struct_value& request);
handler_result list_partition_reassignments(request_context& cx, protocol::struct_value& request);

}  // namespace tern::server::handlers
