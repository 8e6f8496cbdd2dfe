// InitProducerId: a producer id and epoch for idempotent producers (no transactions yet).
#include <spdlog/spdlog.h>

#include "broker/protocol/messages/messages.h"
#include "broker/server/handlers/handler_util.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server::handlers {

using protocol::error_code;

handler_result init_producer_id(request_context& cx, protocol::struct_value& req) {
  protocol::struct_value r(protocol::messages::init_producer_id().response.fields);
  r["producer_id"] = int64_t{-1};
  r["producer_epoch"] = int64_t{-1};
  if (!req.is_null("transactional_id") && !req.string("transactional_id").empty()) {
    spdlog::warn("{} asked for transactional id '{}': transactions are not supported",
                 cx.client_host, req.string("transactional_id"));
    r["error_code"] = code(error_code::transactional_id_authorization_failed);
    co_return r;
  }
  const int64_t old_id = req.integer("producer_id");
  const int64_t old_epoch = req.integer("producer_epoch");
  // KIP-360: a producer that lost its state may bump its epoch and keep its id.
  if (old_id >= 0 && old_epoch >= 0 && old_epoch < INT16_MAX - 1) {
    r["producer_id"] = old_id;
    r["producer_epoch"] = old_epoch + 1;
    co_return r;
  }
  auto id = cx.b.next_producer_id();
  if (!id) {
    spdlog::error("cannot allocate a producer id: {}", id.error());
    r["error_code"] = code(error_code::coordinator_not_available);
    co_return r;
  }
  r["producer_id"] = *id;
  r["producer_epoch"] = int64_t{0};
  co_return r;
}

}  // namespace tern::server::handlers
