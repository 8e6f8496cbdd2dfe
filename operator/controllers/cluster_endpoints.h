// Where the operator reaches a Cluster's brokers: the Kafka bootstrap address and each
// broker's admin API. In a Kubernetes cluster these are the Services' DNS names; tests that run
// brokers as local processes supply their own.
#pragma once

#include <functional>
#include <string>

#include "operator/api/cluster.h"

namespace tern::op::controllers {

struct cluster_endpoints {
  std::function<std::string(const api::cluster&)> bootstrap;                  // host:port
  std::function<std::string(const api::cluster&, int32_t broker)> admin_url;  // http://host:port
};

// <cluster>-bootstrap.<ns>.svc:<port> and http://<cluster>-<id>.<cluster>-brokers.<ns>.svc:<port>.
cluster_endpoints service_dns_endpoints();

}  // namespace tern::op::controllers
