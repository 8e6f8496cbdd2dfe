// Topic: parsing with the CRD's defaults, Kafka's naming rules, status encoding.
#include "operator/api/topic.h"

#include <regex>

#include "operator/api/field_reader.h"

namespace tern::op::api {

using json = nlohmann::json;
using detail::field_reader;

namespace {

topic_status read_status(const json& object) {
  topic_status s;
  field_reader r;
  const json* st = r.object(object, "status", "status");
  if (st == nullptr) return s;
  r.integer(*st, "observedGeneration", "status.observedGeneration", s.observed_generation);
  if (st->contains("conditions")) {
    if (auto c = conditions_from_json((*st)["conditions"], "status.conditions"))
      s.conditions = std::move(*c);
  }
  r.string(*st, "topicId", "status.topicId", s.topic_id);
  r.string(*st, "topicName", "status.topicName", s.topic_name);
  r.integer(*st, "partitions", "status.partitions", s.partitions);
  r.integer(*st, "replicationFactor", "status.replicationFactor", s.replication_factor);
  r.string(*st, "error", "status.error", s.error);
  return s;
}

}  // namespace

std::string kafka_name(const topic& t) {
  return t.spec.topic_name.value_or(t.meta.name);
}

bool retain_on_delete(const topic& t) {
  auto it = t.meta.annotations.find(std::string(kDeletionPolicyAnnotation));
  return it != t.meta.annotations.end() && it->second == kDeletionPolicyRetain;
}

std::expected<topic, std::string> parse_topic(const json& object) {
  if (!object.is_object()) return std::unexpected("expected a Topic object");
  auto meta = parse_object_meta(object);
  if (!meta) return std::unexpected(meta.error());
  topic t;
  t.meta = std::move(*meta);
  field_reader r;
  const json* spec = r.object(object, "spec", "spec");
  if (spec == nullptr) {
    if (r.ok()) r.fail("spec", "Required value");
    return std::unexpected(r.message());
  }
  const json* ref = r.object(*spec, "clusterRef", "spec.clusterRef");
  if (ref != nullptr) r.string(*ref, "name", "spec.clusterRef.name", t.spec.cluster_name);
  if (r.ok() && t.spec.cluster_name.empty()) r.fail("spec.clusterRef.name", "Required value");
  r.optional_string(*spec, "topicName", "spec.topicName", t.spec.topic_name);
  r.integer(*spec, "partitions", "spec.partitions", t.spec.partitions);
  r.integer(*spec, "replicationFactor", "spec.replicationFactor", t.spec.replication_factor);
  r.string_map(*spec, "config", "spec.config", t.spec.config);
  if (!r.ok()) return std::unexpected(r.message());
  t.status = read_status(object);
  return t;
}

std::optional<std::string> check_kafka_topic_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 249) return "at most 249 characters, got " + std::to_string(name.size());
  if (name == "." || name == "..") return "must not be \".\" or \"..\"";
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return "only ASCII letters, digits, '.', '_' and '-' are allowed";
  }
  return std::nullopt;
}

std::vector<std::string> validate(const topic& t) {
  std::vector<std::string> out;
  static const std::regex dns1123_subdomain(
      R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
  if (t.spec.cluster_name.empty()) {
    out.push_back("spec.clusterRef.name: Required value");
  } else if (t.spec.cluster_name.size() > 253 ||
             !std::regex_match(t.spec.cluster_name, dns1123_subdomain)) {
    out.push_back("spec.clusterRef.name: not a valid Cluster name: \"" + t.spec.cluster_name +
                  "\"");
  }
  const std::string name = kafka_name(t);
  if (auto problem = check_kafka_topic_name(name)) {
    // Name the field the bad name came from.
    const std::string path = t.spec.topic_name ? "spec.topicName" : "metadata.name";
    out.push_back(path + ": not a valid Kafka topic name \"" + name + "\": " + *problem);
  }
  if (t.spec.partitions < 1)
    out.push_back("spec.partitions: must be at least 1, got " + std::to_string(t.spec.partitions));
  if (t.spec.replication_factor < 1 || t.spec.replication_factor > 32767)
    out.push_back("spec.replicationFactor: must be between 1 and 32767, got " +
                  std::to_string(t.spec.replication_factor));
  for (const auto& [key, value] : t.spec.config) {
    if (key.empty()) out.push_back("spec.config: empty key");
  }
  return out;
}

json status_to_json(const topic_status& s) {
  json out = {
      {"observedGeneration", s.observed_generation},
      {"conditions", conditions_to_json(s.conditions)},
      {"partitions", s.partitions},
      {"replicationFactor", s.replication_factor},
  };
  if (!s.topic_id.empty()) out["topicId"] = s.topic_id;
  if (!s.topic_name.empty()) out["topicName"] = s.topic_name;
  // Always written (empty when there is none), so that a merge patch clears an old error.
  out["error"] = s.error;
  return out;
}

}  // namespace tern::op::api
