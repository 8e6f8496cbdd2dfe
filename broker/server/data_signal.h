// Wakes long-polling Fetch requests when records arrive. Waiters park on a timer that expires
// at their max_wait deadline; notify() cancels every parked timer so they re-check at once.
#pragma once

#include <chrono>
#include <vector>
#include "common/asio.h"

namespace tern::server {

class data_signal {
 public:
  // Returns at the deadline or at the next notify(), whichever comes first.
  boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);
  void notify();

 private:
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace tern::server
