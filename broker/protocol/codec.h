// The one codec: reads and writes any message described by a message_schema, for any of
// its versions, including the compact encodings and tagged fields of flexible versions.
#pragma once

#include <string>
#include <vector>

#include "broker/protocol/byte_io.h"
#include "broker/protocol/schema.h"
#include "broker/protocol/value.h"

namespace tern::protocol {

// Encoded bytes with file slices spliced in at given byte positions, so a Fetch response
// can send segment bytes straight from the file.
struct encoded_message {
  struct splice {
    size_t at;  // position in `bytes` before which the slice goes
    file_slice slice;
  };
  std::string bytes;
  std::vector<splice> splices;

  size_t total_size() const;
};

// Decodes one message at `version`. Throws malformed_input on bytes that do not fit the schema.
// `version` must lie in schema.valid (checked by the caller).
struct_value decode(const message_schema& schema, int16_t version, byte_reader& in);
// Like decode(), but large `records` stay where they are in the frame `in` reads, which must
// be writable memory owned by `frame` (the records keep it alive): no copy of the bulk of a
// Produce request or a replica's Fetch response.
struct_value decode_in_place(const message_schema& schema, int16_t version, byte_reader& in,
                             std::shared_ptr<void> frame);

// Encodes `message` (built from schema.fields) at `version`, appending to `out`.
void encode(const message_schema& schema, int16_t version, const struct_value& message,
            encoded_message& out);

}  // namespace tern::protocol
