// InitProducerId (key 22).
#include "broker/protocol/messages/messages.h"

namespace tern::protocol::messages {

const api_schema& init_producer_id() {
  using enum field_type;
  static const api_schema schema{
      22,
      "InitProducerId",
      {"InitProducerIdRequest",
       versions(0, 4),
       since(2),
       {
           scalar("transactional_id", string).nullable_in(since(0)),
           scalar("transaction_timeout_ms", int32),
           scalar("producer_id", int64, since(3)).defaults_to(-1),
           scalar("producer_epoch", int16, since(3)).defaults_to(-1),
       }},
      {"InitProducerIdResponse",
       versions(0, 4),
       since(2),
       {
           scalar("throttle_time_ms", int32),
           scalar("error_code", int16),
           scalar("producer_id", int64).defaults_to(-1),
           scalar("producer_epoch", int16),
       }},
  };
  return schema;
}

}  // namespace tern::protocol::messages
