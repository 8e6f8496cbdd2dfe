// RFC 3339 UTC timestamps as the Kubernetes API writes them: Time ("...T12:00:00Z") and
// MicroTime ("...T12:00:00.123456Z", used by Lease renewTime and acquireTime).
#pragma once

#include <chrono>
#include <string>

namespace tern::op::k8s {

std::string to_rfc3339(std::chrono::system_clock::time_point t);        // seconds
std::string to_rfc3339_micro(std::chrono::system_clock::time_point t);  // microseconds
std::string now_rfc3339();
std::string now_rfc3339_micro();

}  // namespace tern::op::k8s
