// The security settings shared by the broker and etcd pods: non-root uid/gid 10001 (the
// broker image's user), RuntimeDefault seccomp, no privilege escalation, no capabilities and a
// read-only root file system. They satisfy the "restricted" Pod Security Standard.
#pragma once

#include <nlohmann/json.hpp>

namespace tern::op::model {

inline constexpr int kRunAsUser = 10001;

nlohmann::json pod_security_context();
nlohmann::json container_security_context();

}  // namespace tern::op::model
