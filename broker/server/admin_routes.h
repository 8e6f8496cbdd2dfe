// The broker's HTTP API: /healthz, /readyz, /metrics, and for operators and people the
// cluster's health (/v1/cluster), a broker's share of it (/v1/brokers/{id}) and draining a
// broker before it is removed (/v1/brokers/{id}/drain: POST starts, GET shows progress,
// DELETE cancels).
#pragma once

#include <string>

#include "broker/admin/admin_server.h"

namespace tern::server {

class broker;

admin::http_reply route_admin(broker& b, const std::string& method, const std::string& path);

}  // namespace tern::server
