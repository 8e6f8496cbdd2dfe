// Images the operator uses when a Cluster does not name one (set from its command line).
#pragma once

#include <string>

namespace tern::op::model {

struct operator_defaults {
  std::string broker_image = "ghcr.io/tern-dev/tern:0.1.0";
  std::string etcd_image = "quay.io/coreos/etcd:v3.5.17";
};

}  // namespace tern::op::model
