// The schema of every Kafka API that tern speaks, one function per API key.
// Field layouts follow the public Kafka message definitions; see schema.h for the notation.
#pragma once

#include "broker/protocol/schema.h"

namespace tern::protocol::messages {

const api_schema& produce();                        // key 0
const api_schema& fetch();                          // key 1
const api_schema& list_offsets();                   // key 2
const api_schema& metadata();                       // key 3
const api_schema& offset_commit();                  // key 8
const api_schema& offset_fetch();                   // key 9
const api_schema& find_coordinator();               // key 10
const api_schema& join_group();                     // key 11
const api_schema& heartbeat();                      // key 12
const api_schema& leave_group();                    // key 13
const api_schema& sync_group();                     // key 14
const api_schema& describe_groups();                // key 15
const api_schema& list_groups();                    // key 16
const api_schema& api_versions();                   // key 18
const api_schema& create_topics();                  // key 19
const api_schema& delete_topics();                  // key 20
const api_schema& init_producer_id();               // key 22
const api_schema& offset_for_leader_epoch();        // key 23
const api_schema& describe_configs();               // key 32
const api_schema& alter_configs();                  // key 33
const api_schema& create_partitions();              // key 37
const api_schema& delete_groups();                  // key 42
const api_schema& elect_leaders();                  // key 43
const api_schema& incremental_alter_configs();      // key 44
const api_schema& alter_partition_reassignments();  // key 45
const api_schema& list_partition_reassignments();   // key 46
const api_schema& offset_delete();                  // key 47
const api_schema& describe_cluster();               // key 60

}  // namespace tern::protocol::messages
