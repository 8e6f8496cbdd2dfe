// The JSON form of topic metadata, shared by the embedded store's file and the etcd store.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "broker/cluster/metadata_store.h"

namespace tern::cluster {

std::string to_hex(const topic_id& id);
std::optional<topic_id> from_hex(const std::string& s);

nlohmann::json topic_to_json(const topic_info& t);
// nullopt when fields are missing or malformed.
std::optional<topic_info> topic_from_json(const nlohmann::json& j);

}  // namespace tern::cluster
