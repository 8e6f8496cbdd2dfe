// Pod and container security contexts of the pods tern-operator builds.
#include "operator/model/pod_security.h"

namespace tern::op::model {

using json = nlohmann::json;

json pod_security_context() {
  return {
      {"runAsNonRoot", true},
      {"runAsUser", kRunAsUser},
      {"runAsGroup", kRunAsUser},
      // The volumes' group: makes a fresh PersistentVolume writable for the non-root user.
      {"fsGroup", kRunAsUser},
      {"seccompProfile", {{"type", "RuntimeDefault"}}},
  };
}

json container_security_context() {
  return {
      {"allowPrivilegeEscalation", false},
      {"capabilities", {{"drop", json::array({"ALL"})}}},
      {"readOnlyRootFilesystem", true},
      {"runAsNonRoot", true},
  };
}

}  // namespace tern::op::model
