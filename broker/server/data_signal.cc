// Parking and waking long-poll fetches.
#include "broker/server/data_signal.h"

#include <algorithm>
#include "common/asio.h"

namespace tern::server {

boost::asio::awaitable<void> data_signal::wait_until(
    std::chrono::steady_clock::time_point deadline) {
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor, deadline);
  waiters_.push_back(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), &timer), waiters_.end());
}

void data_signal::notify() {
  for (auto* t : waiters_) t->cancel();
}

}  // namespace tern::server
