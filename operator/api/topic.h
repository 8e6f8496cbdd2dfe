// The Topic custom resource (tern.dev/v1alpha1): a Kafka topic in a Cluster of the same
// namespace. Spec, status, parsing with the CRD's defaults, Kafka's naming rules. The CRD in
// charts/tern/crds/tern.dev_topics.yaml is the contract.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/meta.h"

namespace tern::op::api {

inline constexpr std::string_view kTopicKind = "Topic";
inline constexpr std::string_view kTopicPlural = "topics";
// Holds a Topic until its Kafka topic is deleted (or retained, see below).
inline constexpr std::string_view kTopicFinalizer = "tern.dev/topic";
// "retain": deleting the Topic leaves the Kafka topic in the cluster.
inline constexpr std::string_view kDeletionPolicyAnnotation = "tern.dev/deletion-policy";
inline constexpr std::string_view kDeletionPolicyRetain = "retain";

inline constexpr int32_t kDefaultTopicPartitions = 1;
inline constexpr int32_t kDefaultTopicReplicationFactor = 3;

struct topic_spec {
  std::string cluster_name;               // spec.clusterRef.name
  std::optional<std::string> topic_name;  // unset: metadata.name
  int32_t partitions = kDefaultTopicPartitions;
  int32_t replication_factor = kDefaultTopicReplicationFactor;
  std::map<std::string, std::string> config;
};

struct topic_status {
  int64_t observed_generation = 0;
  std::vector<condition> conditions;
  std::string topic_id;
  std::string topic_name;
  int32_t partitions = 0;
  int32_t replication_factor = 0;
  std::string error;

  bool operator==(const topic_status&) const = default;
};

struct topic {
  object_meta meta;
  topic_spec spec;
  topic_status status;
};

// The topic's name in Kafka: spec.topicName, else metadata.name.
std::string kafka_name(const topic& t);
// Whether deleting the Topic should leave the Kafka topic in place (the deletion-policy
// annotation is "retain").
bool retain_on_delete(const topic& t);

// A whole Topic object. Defaults are applied for what is missing; a wrongly typed field or a
// missing spec.clusterRef.name is an error naming its path. The status is read leniently.
std::expected<topic, std::string> parse_topic(const nlohmann::json& object);

// Kafka's rules for a topic name: 1 to 249 of [a-zA-Z0-9._-], neither "." nor "..". Returns
// the problem, or nullopt when the name is legal.
std::optional<std::string> check_kafka_topic_name(std::string_view name);

// Each entry "<field path>: <problem>"; empty means valid.
std::vector<std::string> validate(const topic& t);

nlohmann::json status_to_json(const topic_status& status);

}  // namespace tern::op::api
