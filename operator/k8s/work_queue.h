// A work queue with client-go's semantics: keys, not events; duplicates collapse; a key is never
// handed to two workers at once (one added while being processed is queued again after done());
// delayed and rate-limited adds.
//
//   while (auto key = queue.get()) {
//     if (reconcile(*key)) queue.forget(*key); else queue.add_rate_limited(*key);
//     queue.done(*key);
//   }
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

namespace tern::op::k8s {

class work_queue {
 public:
  struct options {
    // Per-key exponential backoff for add_rate_limited: base doubling up to max.
    std::chrono::milliseconds base_delay{5};
    std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
    // An overall token bucket shared by every key.
    double qps = 10;
    int burst = 100;
  };
  work_queue();
  explicit work_queue(options o);

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // add_after by the larger of the key's backoff (which this doubles) and the token bucket.
  void add_rate_limited(const std::string& key);
  // Resets the key's backoff (after it was processed successfully).
  void forget(const std::string& key);
  int requeues(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut_down() was called (keys still queued are
  // not handed out). Every key returned must be given back with done().
  std::optional<std::string> get();
  void done(const std::string& key);
  // Wakes every get(); later adds are ignored. Idempotent.
  void shut_down();
  bool shutting_down() const;
  // Keys ready to be handed out (not counting delayed ones or those being processed).
  size_t size() const;

 private:
  using time_point = std::chrono::steady_clock::time_point;
  void add_locked(const std::string& key);
  void promote_due_locked(time_point now);
  std::chrono::milliseconds bucket_delay_locked(time_point now);

  const options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued, or to be queued again after done()
  std::set<std::string> processing_;  // handed out, done() not yet called
  // Delayed adds, earliest first; a key keeps only its earliest ready time.
  std::priority_queue<std::pair<time_point, std::string>,
                      std::vector<std::pair<time_point, std::string>>, std::greater<>>
      delayed_;
  std::map<std::string, time_point> delayed_until_;
  std::map<std::string, int> failures_;
  double tokens_;
  time_point bucket_at_;
  bool shut_down_ = false;
};

}  // namespace tern::op::k8s
