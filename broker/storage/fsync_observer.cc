// The fsync hook.
#include "broker/storage/fsync_observer.h"

namespace tern::storage {

namespace {
std::function<void(double)>& observer() {
  static std::function<void(double)> o;
  return o;
}
}  // namespace

void set_fsync_observer(std::function<void(double)> o) {
  observer() = std::move(o);
}

void report_fsync(double seconds) {
  if (observer()) observer()(seconds);
}

}  // namespace tern::storage
