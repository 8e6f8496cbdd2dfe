// DescribeCluster: the cluster id, controller and brokers.
#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

handler_result describe_cluster(request_context& cx, protocol::struct_value&) {
  broker& b = cx.b;
  protocol::struct_value r(protocol::messages::describe_cluster().response.fields);
  r["cluster_id"] = b.metadata().cluster_id();
  if (b.replicas() == nullptr) {
    r["controller_id"] = int64_t{b.node_id()};
    auto& out = r.add("brokers");
    out["broker_id"] = int64_t{b.node_id()};
    out["host"] = b.advertised_host();
    out["port"] = int64_t{b.advertised_port()};
    co_return r;
  }
  const auto& view = b.replicas()->view();
  r["controller_id"] = int64_t{view.controller};
  for (const auto& [id, reg] : view.brokers) {
    auto& out = r.add("brokers");
    out["broker_id"] = int64_t{id};
    out["host"] = reg.host;
    out["port"] = int64_t{reg.port};
    if (!reg.rack.empty()) out["rack"] = reg.rack;
  }
  co_return r;
}

}  // namespace tern::server::handlers
