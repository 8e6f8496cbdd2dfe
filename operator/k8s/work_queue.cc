// The work queue: a FIFO of distinct keys, a processing set, a delay heap and rate limiters.
#include "operator/k8s/work_queue.h"

#include <algorithm>
#include <cmath>

namespace tern::op::k8s {

work_queue::work_queue() : work_queue(options{}) {}

work_queue::work_queue(options o)
    : options_(o), tokens_(o.burst), bucket_at_(std::chrono::steady_clock::now()) {}

void work_queue::add_locked(const std::string& key) {
  if (shut_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (processing_.contains(key)) return;  // done() queues it again
  queue_.push_back(key);
  cv_.notify_one();
}

void work_queue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  add_locked(key);
}

void work_queue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (shut_down_) return;
  if (delay <= std::chrono::milliseconds::zero()) {
    add_locked(key);
    return;
  }
  const auto at = std::chrono::steady_clock::now() + delay;
  auto it = delayed_until_.find(key);
  if (it != delayed_until_.end() && it->second <= at) return;  // an earlier add stands
  delayed_until_[key] = at;
  delayed_.emplace(at, key);
  cv_.notify_all();  // a waiting get() may need to wake earlier
}

std::chrono::milliseconds work_queue::bucket_delay_locked(time_point now) {
  // A reservation-style token bucket (golang.org/x/time/rate): tokens may go negative, and the
  // wait is how long until this reservation's token has been refilled.
  const double elapsed = std::chrono::duration<double>(now - bucket_at_).count();
  bucket_at_ = now;
  tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
  tokens_ -= 1;
  if (tokens_ >= 0) return std::chrono::milliseconds::zero();
  return std::chrono::milliseconds(
      static_cast<long long>(std::ceil(-tokens_ / options_.qps * 1000)));
}

void work_queue::add_rate_limited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    const int n = failures_[key]++;
    const double backoff = static_cast<double>(options_.base_delay.count()) * std::pow(2.0, n);
    const auto item = std::chrono::milliseconds(
        static_cast<long long>(std::min(backoff, static_cast<double>(options_.max_delay.count()))));
    delay = std::max(item, bucket_delay_locked(std::chrono::steady_clock::now()));
  }
  add_after(key, delay);
}

void work_queue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int work_queue::requeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void work_queue::promote_due_locked(time_point now) {
  while (!delayed_.empty() && delayed_.top().first <= now) {
    auto [at, key] = delayed_.top();
    delayed_.pop();
    auto it = delayed_until_.find(key);
    if (it == delayed_until_.end() || it->second != at) continue;  // superseded by an earlier one
    delayed_until_.erase(it);
    add_locked(key);
  }
}

std::optional<std::string> work_queue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shut_down_) return std::nullopt;
    promote_due_locked(std::chrono::steady_clock::now());
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, delayed_.top().first);
    }
  }
}

void work_queue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void work_queue::shut_down() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
  cv_.notify_all();
}

bool work_queue::shutting_down() const {
  std::lock_guard lock(mu_);
  return shut_down_;
}

size_t work_queue::size() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace tern::op::k8s
