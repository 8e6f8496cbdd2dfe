// DescribeCluster: the cluster id, controller and brokers (at the addresses of the listener the
// client came through).
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
    const auto [host, port] = b.advertised_for(cx.listener);
    out["broker_id"] = int64_t{b.node_id()};
    out["host"] = host;
    out["port"] = int64_t{port};
    co_return r;
  }
  const auto& view = b.replicas()->view();
  r["controller_id"] = int64_t{view.controller};
  for (const auto& [id, reg] : view.brokers) {
    auto& out = r.add("brokers");
    const auto [host, port] = reg.address_for(cx.listener);
    out["broker_id"] = int64_t{id};
    out["host"] = host;
    out["port"] = int64_t{port};
    if (!reg.rack.empty()) out["rack"] = reg.rack;
  }
  co_return r;
}

}  // namespace tern::server::handlers
