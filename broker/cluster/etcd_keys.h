// How etcd's v3 JSON gateway spells keys: base64 in JSON bodies, and a prefix as a range.
#pragma once

#include <string>

namespace tern::cluster {

std::string etcd_base64(const std::string& bytes);
std::string etcd_unbase64(const std::string& text);
// The key just after every key with this prefix, for range ends.
std::string etcd_prefix_end(std::string prefix);

}  // namespace tern::cluster
