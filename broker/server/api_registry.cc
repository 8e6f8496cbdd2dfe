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
      {&m::metadata(), h::metadata, m::metadata().request.valid},
      {&m::find_coordinator(), h::find_coordinator, m::find_coordinator().request.valid},
      {&m::api_versions(), h::api_versions, m::api_versions().request.valid},
      {&m::create_topics(), h::create_topics, m::create_topics().request.valid},
      {&m::delete_topics(), h::delete_topics, m::delete_topics().request.valid},
      {&m::init_producer_id(), h::init_producer_id, m::init_producer_id().request.valid},
      {&m::describe_configs(), h::describe_configs, m::describe_configs().request.valid},
      {&m::alter_configs(), h::alter_configs, m::alter_configs().request.valid},
      {&m::create_partitions(), h::create_partitions, m::create_partitions().request.valid},
      {&m::incremental_alter_configs(), h::incremental_alter_configs,
       m::incremental_alter_configs().request.valid},
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
