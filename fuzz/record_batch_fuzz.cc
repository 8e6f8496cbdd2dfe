// Fuzzes the RecordBatch parser: header reading, whole-batch checks and record iteration
// must cope with any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/protocol/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto header = tern::protocol::read_batch_header(bytes);
  (void)tern::protocol::check_batch(bytes);
  if (header && size > tern::protocol::kBatchHeaderSize) {
    std::string reason;
    size_t records = 0;
    tern::protocol::for_each_record(
        bytes.substr(tern::protocol::kBatchHeaderSize), header->records_count & 0xffff,
        [&](const tern::protocol::record_view&) { ++records; }, &reason);
  }
  return 0;
}
