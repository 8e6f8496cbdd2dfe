// DescribeConfigs: topic configs (overrides and defaults, with their sources) and the
// broker's static settings.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"
#include "broker/storage/topic_config.h"

namespace tern::server::handlers {

using protocol::error_code;

namespace {

constexpr int64_t kTopicResource = 2;
constexpr int64_t kBrokerResource = 4;
constexpr int64_t kSourceTopic = 1;
constexpr int64_t kSourceStaticBroker = 4;
constexpr int64_t kSourceDefault = 5;

// Kafka's ConfigType values.
int64_t config_type(storage::config_kind k) {
  switch (k) {
    case storage::config_kind::boolean:
      return 1;
    case storage::config_kind::string:
      return 2;
    case storage::config_kind::integer:
      return 3;
    case storage::config_kind::long_int:
      return 5;
    case storage::config_kind::list:
      return 7;
  }
  return 0;
}

bool wanted(const protocol::struct_value& resource, const std::string& name) {
  if (resource.is_null("configuration_keys")) return true;
  const auto& keys = resource.array("configuration_keys");
  if (keys.empty()) return true;
  for (const auto& k : keys)
    if (k.as_string() == name) return true;
  return false;
}

void add_config(protocol::struct_value& out, int16_t version, const std::string& name,
                const std::string& value, int64_t source, bool read_only, int64_t type,
                bool synonyms, const std::string& broker_key, bool broker_set) {
  auto& c = out.add("configs");
  c["name"] = name;
  c["value"] = value;
  c["read_only"] = read_only;
  c["is_default"] = source == kSourceDefault;
  c["config_source"] = source;
  c["is_sensitive"] = false;
  c["config_type"] = type;
  c["documentation"] = protocol::value::null();
  if (synonyms && version >= 1) {
    auto& s = c.add("synonyms");
    s["name"] = name;
    s["value"] = value;
    s["source"] = source;
    if (source == kSourceTopic && !broker_key.empty()) {
      auto& d = c.add("synonyms");
      d["name"] = broker_key;
      d["value"] = std::string();
      d["source"] = broker_set ? kSourceStaticBroker : kSourceDefault;
    }
  }
}

}  // namespace

handler_result describe_configs(request_context& cx, protocol::struct_value& req) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::describe_configs().response.fields);
  const bool synonyms = req["include_synonyms"].as_bool();
  for (const auto& res_value : req.array("resources")) {
    const auto& res = res_value.as_struct();
    const int64_t type = res.integer("resource_type");
    const std::string& name = res.string("resource_name");
    auto& out = r.add("results");
    out["resource_type"] = type;
    out["resource_name"] = name;
    out["error_code"] = code(error_code::none);
    out["error_message"] = protocol::value::null();
    if (type == kTopicResource) {
      auto t = b.topics().find(name);
      if (!t) {
        out["error_code"] = code(missing_partition_error(name));
        out["error_message"] = "Topic " + name + " does not exist";
        continue;
      }
      const auto effective = b.topics().effective_configs(*t);
      for (const auto& def : storage::topic_config_defs()) {
        const std::string key(def.name);
        if (!wanted(res, key)) continue;
        const bool overridden = t->configs.contains(key);
        const bool broker_set = b.config().raw.contains(std::string(def.broker_key));
        const int64_t source = overridden   ? kSourceTopic
                               : broker_set ? kSourceStaticBroker
                                            : kSourceDefault;
        add_config(out, cx.api_version, key, effective.at(key), source, false,
                   config_type(def.kind), synonyms, std::string(def.broker_key), broker_set);
      }
    } else if (type == kBrokerResource) {
      if (!name.empty() && name != std::to_string(b.node_id())) {
        out["error_code"] = code(error_code::invalid_request);
        out["error_message"] = "Unexpected broker id, expected " + std::to_string(b.node_id());
        continue;
      }
      for (const auto& [key, fallback] : known_broker_keys()) {
        if (!wanted(res, key)) continue;
        const auto set = b.config().raw.get(key);
        add_config(out, cx.api_version, key, set.value_or(fallback),
                   set ? kSourceStaticBroker : kSourceDefault, true, 2, synonyms, "", false);
      }
    } else {
      out["error_code"] = code(error_code::invalid_request);
      out["error_message"] = "Unsupported resource type " + std::to_string(type);
    }
  }
  co_return r;
}

}  // namespace tern::server::handlers
