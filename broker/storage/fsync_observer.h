// A process-wide hook that hears how long each segment fsync took, so the broker can export
// it without the storage layer knowing about metrics.
#pragma once

#include <functional>

namespace tern::storage {

void set_fsync_observer(std::function<void(double seconds)> observer);
void report_fsync(double seconds);

}  // namespace tern::storage
