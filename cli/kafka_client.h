// librdkafka plumbing shared by the tern commands: building client configs from Kafka-style
// flags, and RAII handles.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tern::cli {

struct rd_kafka_deleter {
  void operator()(rd_kafka_t* rk) const {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};
using kafka_handle = std::unique_ptr<rd_kafka_t, rd_kafka_deleter>;

// "k=v" items (from --property, --producer-property, ...) into a map; an item without '='
// is a usage error, reported by throwing std::invalid_argument with the item.
std::map<std::string, std::string> parse_properties(const std::vector<std::string>& items);
// Java-style .properties file (--producer.config / --consumer.config / --command-config).
std::map<std::string, std::string> read_properties_file(const std::string& path);

// A producer, consumer or admin handle configured with bootstrap.servers and the given
// librdkafka/Kafka client properties. Exits with a message when a property is rejected.
kafka_handle make_client(rd_kafka_type_t type, const std::string& bootstrap,
                         const std::map<std::string, std::string>& properties,
                         void (*configure)(rd_kafka_conf_t*) = nullptr);

// Exits the process with `message` on stderr (status 1).
[[noreturn]] void die(const std::string& message);

// Admin requests: options with a request timeout, and waiting for the one result event
// (dies on a request-level error). The caller destroys the event.
rd_kafka_AdminOptions_t* admin_options(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms);
rd_kafka_event_t* await_admin_result(rd_kafka_queue_t* q, int timeout_ms);

// Number of partitions of a topic according to the cluster; dies if it does not exist.
int partition_count(rd_kafka_t* rk, const std::string& topic, int timeout_ms = 10000);

}  // namespace tern::cli
