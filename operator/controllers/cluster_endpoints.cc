// Service DNS names of a Cluster's brokers (the names operator/model gives the Services).
#include "operator/controllers/cluster_endpoints.h"

#include "operator/model/names.h"

namespace tern::op::controllers {

cluster_endpoints service_dns_endpoints() {
  return {
      [](const api::cluster& c) { return model::bootstrap_servers(c); },
      [](const api::cluster& c, int32_t broker) {
        return "http://" + model::broker_host(c, broker) + ":" + std::to_string(c.spec.admin_port);
      },
  };
}

}  // namespace tern::op::controllers
