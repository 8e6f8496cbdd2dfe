// RFC 3339 formatting for condition and Lease timestamps.
#include "operator/k8s/rfc3339.h"

#include <cstdio>
#include <ctime>

namespace tern::op::k8s {
namespace {

std::string format(std::chrono::system_clock::time_point t, bool micro) {
  const auto us = std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  if (micro) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buf;
}

}  // namespace

std::string to_rfc3339(std::chrono::system_clock::time_point t) {
  return format(t, false);
}
std::string to_rfc3339_micro(std::chrono::system_clock::time_point t) {
  return format(t, true);
}
std::string now_rfc3339() {
  return to_rfc3339(std::chrono::system_clock::now());
}
std::string now_rfc3339_micro() {
  return to_rfc3339_micro(std::chrono::system_clock::now());
}

}  // namespace tern::op::k8s
