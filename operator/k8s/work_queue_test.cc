// The work queue: duplicates collapse, a key is processed by one worker at a time, delayed and
// rate-limited adds, shut down.
#include "operator/k8s/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <vector>

namespace tern::op::k8s {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST(WorkQueue, DuplicatesCollapse) {
  work_queue q;
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), "b");
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueue, KeyAddedWhileProcessingWaitsForDone) {
  work_queue q;
  q.add("a");
  auto key = q.get();
  ASSERT_EQ(key, "a");
  q.add("a");
  q.add("a");
  EXPECT_EQ(q.size(), 0u);  // not handed to a second worker
  q.done("a");
  EXPECT_EQ(q.size(), 1u);  // once, however often it was added
  EXPECT_EQ(q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueue, NoKeyProcessedConcurrently) {
  work_queue q;
  std::mutex mu;
  std::map<std::string, int> active;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::jthread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        {
          std::lock_guard l(mu);
          if (++active[*key] > 1) overlap = true;
        }
        std::this_thread::sleep_for(200us);
        {
          std::lock_guard l(mu);
          --active[*key];
        }
        ++processed;
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q.add("k" + std::to_string(i % 3));
  const auto until = steady::now() + 5s;
  while (q.size() > 0 && steady::now() < until) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  q.shut_down();
  workers.clear();
  EXPECT_FALSE(overlap.load());
  EXPECT_GE(processed.load(), 3);
  EXPECT_LT(processed.load(), 2000);  // duplicates collapsed
}

TEST(WorkQueue, AddAfterWaits) {
  work_queue q;
  const auto start = steady::now();
  q.add_after("late", 150ms);
  q.add_after("late", 1h);  // a later add does not postpone the earlier one
  EXPECT_EQ(q.size(), 0u);
  auto key = q.get();
  EXPECT_EQ(key, "late");
  EXPECT_GE(steady::now() - start, 140ms);
  EXPECT_LT(steady::now() - start, 5s);
  q.done("late");
  q.add_after("now", 0ms);
  EXPECT_EQ(q.size(), 1u);
}

TEST(WorkQueue, PerKeyBackoffAndForget) {
  work_queue::options o;
  o.base_delay = 100ms;
  work_queue q(o);
  EXPECT_EQ(q.requeues("a"), 0);
  const auto start = steady::now();
  q.add_rate_limited("a");
  EXPECT_EQ(q.requeues("a"), 1);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_GE(steady::now() - start, 90ms);
  q.done("a");
  q.add_rate_limited("a");  // 200 ms now
  EXPECT_EQ(q.requeues("a"), 2);
  const auto second = steady::now();
  EXPECT_EQ(q.get(), "a");
  EXPECT_GE(steady::now() - second, 190ms);
  q.done("a");
  q.forget("a");
  EXPECT_EQ(q.requeues("a"), 0);
}

TEST(WorkQueue, BackoffIsCapped) {
  work_queue::options o;
  o.base_delay = 5ms;
  o.max_delay = 50ms;
  work_queue q(o);
  // 12 failures in a row: 5+10+20+40 ms, then 50 ms each; about 20 s without the cap.
  const auto start = steady::now();
  for (int i = 0; i < 12; ++i) {
    q.add_rate_limited("a");
    ASSERT_EQ(q.get(), "a");
    q.done("a");
  }
  EXPECT_EQ(q.requeues("a"), 12);
  EXPECT_GE(steady::now() - start, 400ms);
  EXPECT_LT(steady::now() - start, 5s);
}

TEST(WorkQueue, TokenBucketLimitsOverallRate) {
  work_queue::options o;
  o.base_delay = 0ms;
  o.qps = 5;
  o.burst = 2;
  work_queue q(o);
  q.add_rate_limited("a");
  q.add_rate_limited("b");
  q.add_rate_limited("c");  // the bucket is empty: 200 ms
  EXPECT_EQ(q.size(), 2u);
  EXPECT_TRUE(q.get());
  EXPECT_TRUE(q.get());
  const auto start = steady::now();
  EXPECT_EQ(q.get(), "c");
  EXPECT_GE(steady::now() - start, 150ms);
}

TEST(WorkQueue, ShutDownWakesWaitersAndIgnoresAdds) {
  work_queue q;
  auto waiter = std::async(std::launch::async, [&] { return q.get(); });
  EXPECT_EQ(waiter.wait_for(50ms), std::future_status::timeout);
  q.shut_down();
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(waiter.get().has_value());
  EXPECT_TRUE(q.shutting_down());
  q.add("x");
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.get().has_value());
}

}  // namespace
}  // namespace tern::op::k8s
