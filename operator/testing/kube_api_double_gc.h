// The control-plane loops an operator depends on but the API server itself does not run: the
// garbage collector (ownerReferences, background/foreground/orphan propagation) and the
// namespace and CRD cleanup that empties a deleted namespace or a deleted CRD's instances.
// Each acts as a client of the core, with preconditions, as the real controllers do.
#pragma once

#include "operator/testing/kube_api_double_core.h"

namespace tern::kube_double {

class garbage_collector {
 public:
  explicit garbage_collector(api_core& core) : core_(core) {}

  // One pass over the current objects; true when it issued any write.
  bool run_once();

 private:
  api_core& core_;
};

class lifecycle_controller {
 public:
  explicit lifecycle_controller(api_core& core) : core_(core) {}

  bool run_once();

 private:
  api_core& core_;
};

}  // namespace tern::kube_double
