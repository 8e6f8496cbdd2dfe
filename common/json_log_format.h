// Logging setup shared by tern's programs: levels, and a JSON-lines format whose message is
// escaped properly (spdlog's plain %v would break the JSON on a quote or a newline).
#pragma once

#include <string>

namespace tern {

// `format` is "text" or "json"; `level` one of spdlog's level names. Returns false for an
// unknown format.
bool configure_logging(const std::string& level, const std::string& format);

}  // namespace tern
