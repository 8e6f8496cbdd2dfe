// Fuzzes the request decoder: the first byte picks an API, the next two a version, the rest
// is the request body. Decoding must either succeed or throw malformed_input; whatever
// decodes must encode again.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "broker/protocol/codec.h"
#include "broker/protocol/messages/messages.h"

namespace m = tern::protocol::messages;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<const tern::protocol::api_schema*> apis = {
      &m::produce(),           &m::fetch(),
      &m::list_offsets(),      &m::metadata(),
      &m::api_versions(),      &m::create_topics(),
      &m::delete_topics(),     &m::init_producer_id(),
      &m::describe_configs(),  &m::alter_configs(),
      &m::create_partitions(), &m::incremental_alter_configs(),
      &m::describe_cluster(),  &m::find_coordinator(),
      &m::join_group(),        &m::sync_group(),
      &m::offset_commit(),     &m::offset_fetch()};
  if (size < 3) return 0;
  const auto& api = *apis[data[0] % apis.size()];
  const auto& schema = api.request;
  const int span = schema.valid.max - schema.valid.min + 1;
  const int16_t version =
      static_cast<int16_t>(schema.valid.min + ((data[1] << 8 | data[2]) % span));
  tern::protocol::byte_reader in(
      std::string_view(reinterpret_cast<const char*>(data + 3), size - 3));
  try {
    auto request = tern::protocol::decode(schema, version, in);
    tern::protocol::encoded_message out;
    tern::protocol::encode(schema, version, request, out);
  } catch (const tern::protocol::malformed_input&) {
  }
  return 0;
}
