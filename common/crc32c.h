// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Uses the SSE4.2 instruction
// when the CPU has it and a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern {

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32c(std::string_view data) {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace tern
