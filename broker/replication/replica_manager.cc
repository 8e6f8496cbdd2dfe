// Leader and follower duties of the replicas on this broker.
#include "broker/replication/replica_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/protocol/messages/messages.h"
#include "broker/replication/peer_connection.h"

namespace tern::replication {

namespace asio = boost::asio;
using protocol::error_code;

namespace {

// Non-flexible versions, so the plain request header v1 serves.
constexpr int16_t kFetchVersion = 11;
constexpr int16_t kOffsetForLeaderEpochVersion = 3;
// Connections a broker's address must refuse, kRefusalRecheckMs apart, before this broker
// asks for that broker's session to end (see cluster_agent::report_refused). One refusal
// could be a listener's momentary hiccup (a full accept queue can answer with a reset); a
// second one 100 ms later means nothing listens there.
constexpr int kRefusalsToEndSession = 2;
constexpr int kRefusalRecheckMs = 100;

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The request's entry for `topic`, added on first use. Entries are found again by index:
// adding one may move the others.
protocol::struct_value& topic_entry(protocol::struct_value& req,
                                    std::map<std::string, size_t>& index,
                                    const std::string& topic) {
  auto [it, added] = index.try_emplace(topic, req.array("topics").size());
  if (added) req.add("topics")["topic"] = topic;
  return req.array("topics")[it->second].as_struct();
}

asio::awaitable<void> sleep_for(asio::io_context& ioc, std::chrono::milliseconds d) {
  asio::steady_timer t(ioc, d);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

replica_manager::replica_manager(asio::io_context& ioc, replica_settings settings,
                                 cluster::cluster_agent& agent, replica_hooks hooks,
                                 std::function<void()> on_progress)
    : ioc_(ioc),
      settings_(settings),
      agent_(agent),
      hooks_(std::move(hooks)),
      on_progress_(std::move(on_progress)),
      view_(std::make_shared<cluster::cluster_view>()),
      isr_timer_(ioc) {}

replica_manager::~replica_manager() = default;

void replica_manager::start() {
  asio::co_spawn(ioc_, isr_loop(), asio::detached);
}

void replica_manager::stop() {
  stopped_ = true;
  isr_timer_.cancel();
}

partition_replica* replica_manager::find(const cluster::partition_ref& ref) {
  auto it = replicas_.find(ref);
  return it == replicas_.end() ? nullptr : &it->second;
}

void replica_manager::apply_view(cluster::cluster_agent::view_ptr view) {
  if (stopped_) return;
  view_ = std::move(view);
  const int32_t self = settings_.node_id;
  std::set<cluster::partition_ref> wanted;
  for (const auto& [ref, vp] : view_->partitions) {
    const auto& s = vp.state;
    auto topic = view_->topics.find(ref.topic);
    if (topic == view_->topics.end()) continue;
    if (!s.has_replica(self)) continue;
    auto [it, created] = replicas_.try_emplace(ref);
    partition_replica& r = it->second;
    if (created) {
      r.ref = ref;
      r.log = hooks_.open(topic->second, ref.partition);
      if (r.log == nullptr) {
        replicas_.erase(it);
        continue;
      }
      // What was committed before this process started is re-learned from the ISR; until
      // then nothing is exposed that a new leader might not have.
      r.log->set_high_watermark(r.log->log_start_offset());
    }
    wanted.insert(ref);
    const bool epoch_changed =
        created || s.leader_epoch != r.state.leader_epoch || s.leader != r.state.leader;
    const bool leading = s.leader == self && s.leader_incarnation == agent_.incarnation();
    r.state = s;
    r.mod_revision = vp.mod_revision;
    if (leading && (!r.leading || epoch_changed)) {
      become_leader(r);
    } else if (!leading) {
      if (r.leading && hooks_.leadership_changed) hooks_.leadership_changed(ref, false);
      if (r.leading || epoch_changed) {
        spdlog::info("{}-{}: following {} (epoch {})", ref.topic, ref.partition, s.leader,
                     s.leader_epoch);
        r.needs_truncation = true;
      }
      r.leading = false;
      r.followers.clear();
    } else {
      // Replicas added by a reassignment start being tracked; removed ones stop.
      const int64_t now = wall_ms();
      for (int32_t f : s.replicas)
        if (f != self && !r.followers.contains(f)) r.followers[f].last_caught_up_ms = now;
      std::erase_if(r.followers, [&](const auto& kv) { return !s.has_replica(kv.first); });
      update_high_watermark(r);
    }
  }
  std::set<std::string> removed_topics;
  for (auto it = replicas_.begin(); it != replicas_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    const auto& ref = it->first;
    if (!view_->topics.contains(ref.topic)) {
      removed_topics.insert(ref.topic);
    } else {
      spdlog::info("{}-{}: replica moved away; removing it", ref.topic, ref.partition);
      hooks_.remove_partition(ref);
    }
    if (it->second.leading && hooks_.leadership_changed) hooks_.leadership_changed(ref, false);
    it = replicas_.erase(it);
  }
  for (const auto& t : removed_topics) hooks_.remove_topic(t);
  ensure_fetchers();
  on_progress_();
}

asio::awaitable<bool> replica_manager::write_state(cluster::partition_write write) {
  auto done = std::make_shared<asio::steady_timer>(ioc_, asio::steady_timer::time_point::max());
  auto result = std::make_shared<std::optional<bool>>();
  agent_.submit(std::move(write), [this, done, result](bool written) {
    asio::post(ioc_, [done, result, written] {
      *result = written;
      done->cancel();
    });
  });
  while (!*result) {
    boost::system::error_code ec;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return **result;
}

asio::awaitable<bool> replica_manager::await_view(
    std::function<bool(const cluster::cluster_view&)> done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  agent_.refresh_soon();
  while (!done(*view_)) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await sleep_for(ioc_, std::chrono::milliseconds(20));
  }
  co_return true;
}

asio::awaitable<void> replica_manager::await_fresh_view(std::chrono::milliseconds timeout) {
  const auto asked = std::chrono::steady_clock::now();
  std::function<bool(const cluster::cluster_view&)> fresh =
      [asked](const cluster::cluster_view& v) { return v.read_at >= asked; };
  co_await await_view(std::move(fresh), timeout);
}

asio::awaitable<void> replica_manager::await_view_after(int64_t revision,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (view_->revision <= revision && std::chrono::steady_clock::now() < deadline)
    co_await sleep_for(ioc_, std::chrono::milliseconds(20));
}

void replica_manager::become_leader(partition_replica& r) {
  r.leading = true;
  r.needs_truncation = true;  // for when it follows again
  r.followers.clear();
  const int64_t now = wall_ms();
  for (int32_t f : r.state.replicas)
    if (f != settings_.node_id) r.followers[f].last_caught_up_ms = now;
  r.log->epochs().assign(r.state.leader_epoch, r.log->log_end_offset());
  spdlog::info("{}-{}: leader (epoch {}, ISR size {}, log end {})", r.ref.topic, r.ref.partition,
               r.state.leader_epoch, r.state.isr.size(), r.log->log_end_offset());
  update_high_watermark(r);
  if (hooks_.leadership_changed) hooks_.leadership_changed(r.ref, true);
}

void replica_manager::update_high_watermark(partition_replica& r) {
  if (!r.leading) return;
  int64_t hw = r.log->log_end_offset();
  for (int32_t f : r.state.isr) {
    if (f == settings_.node_id) continue;
    auto it = r.followers.find(f);
    if (it == r.followers.end() || it->second.log_end_offset < 0) return;
    hw = std::min(hw, it->second.log_end_offset);
  }
  if (hw > r.log->high_watermark()) {
    r.log->set_high_watermark(hw);
    on_progress_();
  }
}

void replica_manager::after_leader_append(partition_replica& r) {
  update_high_watermark(r);
}

error_code replica_manager::check_leader(const partition_replica* r, int32_t current_leader_epoch,
                                         bool for_write) const {
  if (r == nullptr) return error_code::not_leader_or_follower;
  if (current_leader_epoch >= 0) {
    if (current_leader_epoch < r->state.leader_epoch) return error_code::fenced_leader_epoch;
    if (current_leader_epoch > r->state.leader_epoch) return error_code::unknown_leader_epoch;
  }
  if (!r->leading) return error_code::not_leader_or_follower;
  if (for_write && !agent_.may_lead(view_->revision)) return error_code::not_leader_or_follower;
  return error_code::none;
}

void replica_manager::on_follower_fetch(partition_replica& r, int32_t replica_id,
                                        int64_t fetch_offset, int64_t now_ms) {
  if (!r.leading) return;
  auto it = r.followers.find(replica_id);
  if (it == r.followers.end()) return;  // not a replica of this partition
  follower_progress& p = it->second;
  const int64_t leader_end = r.log->log_end_offset();
  if (fetch_offset >= leader_end)
    p.last_caught_up_ms = now_ms;
  else if (fetch_offset >= p.leader_end_at_last_fetch)
    p.last_caught_up_ms = std::max(p.last_caught_up_ms, p.last_fetch_ms);
  p.leader_end_at_last_fetch = leader_end;
  p.last_fetch_ms = now_ms;
  p.log_end_offset = fetch_offset;
  const auto& entries = r.log->epochs().entries();
  const int64_t epoch_start = entries.empty() ? 0 : entries.back().start_offset;
  if (!r.state.in_isr(replica_id) && !r.isr_change_pending &&
      fetch_offset >= r.log->high_watermark() && fetch_offset >= epoch_start) {
    auto isr = r.state.isr;
    isr.push_back(replica_id);
    propose_isr(r, std::move(isr), "follower caught up");
  }
  update_high_watermark(r);
}

void replica_manager::propose_isr(partition_replica& r, std::vector<int32_t> isr, const char* why) {
  r.isr_change_pending = true;
  cluster::partition_state next = r.state;
  next.isr = std::move(isr);
  spdlog::info("{}-{}: ISR change ({}): {} -> {} members", r.ref.topic, r.ref.partition, why,
               r.state.isr.size(), next.isr.size());
  const bool shrink = next.isr.size() < r.state.isr.size();
  agent_.submit({r.ref, r.mod_revision, next, why}, [this, ref = r.ref, shrink](bool written) {
    asio::post(ioc_, [this, ref, written, shrink] {
      if (stopped_) return;
      if (!written)
        spdlog::info("{}-{}: ISR change lost a race; retrying", ref.topic, ref.partition);
      if (written) ++(shrink ? isr_shrinks_ : isr_expands_);
      if (auto* p = find(ref)) p->isr_change_pending = false;
    });
  });
}

void replica_manager::check_isr(int64_t now_ms) {
  for (auto& [ref, r] : replicas_) {
    if (!r.leading || r.isr_change_pending) continue;
    std::vector<int32_t> keep;
    for (int32_t f : r.state.isr) {
      if (f == settings_.node_id) {
        keep.push_back(f);
        continue;
      }
      auto it = r.followers.find(f);
      const bool lagging = it == r.followers.end() || now_ms - it->second.last_caught_up_ms >
                                                          settings_.replica_lag_time_max_ms;
      if (!lagging) keep.push_back(f);
    }
    if (keep.size() != r.state.isr.size()) propose_isr(r, std::move(keep), "follower lagging");
  }
}

asio::awaitable<void> replica_manager::isr_loop() {
  const auto period =
      std::chrono::milliseconds(std::max<int64_t>(settings_.replica_lag_time_max_ms / 4, 50));
  while (!stopped_) {
    isr_timer_.expires_after(period);
    boost::system::error_code ec;
    co_await isr_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    check_isr(wall_ms());
  }
}

replica_manager::health replica_manager::partition_health() const {
  health h;
  for (const auto& [ref, r] : replicas_) {
    if (!r.leading) continue;
    ++h.leaders;
    if (r.state.isr.size() < r.state.replicas.size()) ++h.under_replicated;
    if (static_cast<int64_t>(r.state.isr.size()) < r.log->config().min_insync_replicas)
      ++h.under_min_isr;
  }
  if (agent_.is_controller())
    for (const auto& [ref, p] : view_->partitions)
      if (p.state.leader < 0) ++h.offline;
  return h;
}

void replica_manager::follower_disconnected(int32_t replica_id) {
  if (!stopped_ && replica_id != settings_.node_id)
    asio::co_spawn(ioc_, check_gone(replica_id), asio::detached);
}

asio::awaitable<void> replica_manager::check_gone(int32_t node) {
  std::string incarnation;
  for (int attempt = 0; attempt < kRefusalsToEndSession; ++attempt) {
    if (attempt > 0) co_await sleep_for(ioc_, std::chrono::milliseconds(kRefusalRecheckMs));
    auto b = view_->brokers.find(node);
    if (b == view_->brokers.end()) co_return;                            // already gone
    if (attempt > 0 && b->second.incarnation != incarnation) co_return;  // restarted
    incarnation = b->second.incarnation;
    peer_connection probe(ioc_, "tern-probe-" + std::to_string(settings_.node_id));
    auto c = co_await probe.connect(b->second.host, static_cast<uint16_t>(b->second.port));
    // Listening, or not reachable at all (the network, not the process): left to the lease.
    if (c || !c.error().refused) co_return;
  }
  agent_.report_refused(node, incarnation);
}

void replica_manager::ensure_fetchers() {
  for (const auto& [ref, r] : replicas_) {
    if (r.leading || r.state.leader < 0 || r.state.leader == settings_.node_id) continue;
    if (fetchers_.insert(r.state.leader).second)
      asio::co_spawn(ioc_, fetch_loop(r.state.leader), asio::detached);
  }
}

asio::awaitable<void> replica_manager::fetch_loop(int32_t leader) {
  using cluster::partition_ref;
  const int32_t self = settings_.node_id;
  peer_connection conn(ioc_, "tern-replica-" + std::to_string(self));
  const auto timeout = std::chrono::milliseconds(settings_.replica_socket_timeout_ms);
  auto followed = [&] {
    std::vector<partition_ref> refs;
    for (const auto& [ref, r] : replicas_)
      if (!r.leading && r.state.leader == leader) refs.push_back(ref);
    return refs;
  };
  spdlog::info("replica fetcher for leader {} started", leader);
  bool checked_gone = false;  // once per run of failed connects
  std::chrono::steady_clock::time_point last_fetch_failure{};
  while (!stopped_) {
    auto refs = followed();
    if (refs.empty()) break;
    auto b = view_->brokers.find(leader);
    if (b == view_->brokers.end()) {
      co_await sleep_for(ioc_, std::chrono::milliseconds(200));
      continue;
    }
    if (!conn.connected()) {
      auto c = co_await conn.connect(b->second.host, static_cast<uint16_t>(b->second.port));
      if (!c) {
        spdlog::debug("replica fetcher: {}", c.error().message);
        if (c.error().refused && !checked_gone) {
          checked_gone = true;
          co_await check_gone(leader);
        } else {
          co_await sleep_for(ioc_, std::chrono::milliseconds(500));
        }
        continue;
      }
    }
    checked_gone = false;

    // Compare epochs with the leader, and cut any divergent tail, before fetching.
    const bool any_to_compare = std::any_of(refs.begin(), refs.end(), [&](const auto& ref) {
      const partition_replica* r = find(ref);
      return r != nullptr && r->needs_truncation;
    });
    if (any_to_compare) {
      const auto& api = protocol::messages::offset_for_leader_epoch();
      protocol::struct_value req(api.request.fields);
      req["replica_id"] = int64_t{self};
      std::map<std::string, size_t> topics;
      std::vector<partition_ref> asked;
      for (const auto& ref : refs) {
        partition_replica* r = find(ref);
        if (r == nullptr || !r->needs_truncation) continue;
        auto latest = r->log->epochs().latest_epoch();
        if (!latest) {
          // No epochs recorded (an empty log): nothing can diverge.
          r->needs_truncation = false;
          continue;
        }
        auto& p = topic_entry(req, topics, ref.topic).add("partitions");
        p["partition"] = int64_t{ref.partition};
        p["current_leader_epoch"] = int64_t{r->state.leader_epoch};
        p["leader_epoch"] = int64_t{*latest};
        asked.push_back(ref);
      }
      if (!asked.empty()) {
        auto resp = co_await conn.call(api, kOffsetForLeaderEpochVersion, req, timeout);
        if (!resp) {
          spdlog::debug("OffsetForLeaderEpoch to {} failed: {}", leader, resp.error());
          conn.close();
          co_await sleep_for(ioc_, std::chrono::milliseconds(200));
          continue;
        }
        for (const auto& tv : resp->array("topics")) {
          const auto& t = tv.as_struct();
          for (const auto& pv : t.array("partitions")) {
            const auto& p = pv.as_struct();
            partition_replica* r =
                find({t.string("topic"), static_cast<int32_t>(p.integer("partition"))});
            if (r == nullptr || r->leading || r->state.leader != leader) continue;
            if (p.integer("error_code") != 0) continue;  // retried on the next round
            const auto leader_epoch = static_cast<int32_t>(p.integer("leader_epoch"));
            const int64_t leader_end = p.integer("end_offset");
            int64_t cut = r->log->log_end_offset();
            if (leader_epoch < 0 || leader_end < 0) {
              cut = std::min(cut, r->log->high_watermark());
            } else {
              const auto local = r->log->epochs().end_offset_for(leader_epoch, cut);
              cut = std::min({cut, leader_end, local.end_offset < 0 ? cut : local.end_offset});
            }
            if (cut < r->log->log_end_offset()) {
              spdlog::warn(
                  "{}-{}: truncating divergent tail {}..{} (leader {} epoch {} ends at {})",
                  r->ref.topic, r->ref.partition, cut, r->log->log_end_offset(), leader,
                  leader_epoch, leader_end);
              if (auto tr = r->log->truncate_to(cut); !tr)
                spdlog::error("{}-{}: truncation failed: {}", r->ref.topic, r->ref.partition,
                              tr.error());
            }
            r->needs_truncation = false;
          }
        }
      }
    }

    const auto& api = protocol::messages::fetch();
    protocol::struct_value req(api.request.fields);
    req["replica_id"] = int64_t{self};
    req["max_wait_ms"] = settings_.replica_fetch_wait_max_ms;
    req["min_bytes"] = int64_t{1};
    req["max_bytes"] = settings_.replica_fetch_response_max_bytes;
    std::map<std::string, size_t> topics;
    int fetched = 0;
    for (const auto& ref : refs) {
      partition_replica* r = find(ref);
      if (r == nullptr || r->needs_truncation) continue;
      auto& p = topic_entry(req, topics, ref.topic).add("partitions");
      p["partition"] = int64_t{ref.partition};
      p["current_leader_epoch"] = int64_t{r->state.leader_epoch};
      p["fetch_offset"] = r->log->log_end_offset();
      p["log_start_offset"] = r->log->log_start_offset();
      p["partition_max_bytes"] = settings_.replica_fetch_max_bytes;
      ++fetched;
    }
    if (fetched == 0) {
      co_await sleep_for(ioc_, std::chrono::milliseconds(100));
      continue;
    }
    auto resp = co_await conn.call(
        api, kFetchVersion, req,
        timeout + std::chrono::milliseconds(settings_.replica_fetch_wait_max_ms));
    if (!resp) {
      spdlog::debug("replica fetch from {} failed: {}", leader, resp.error());
      conn.close();
      // The first failure reconnects at once: a leader that was killed is then found gone
      // (its address refuses) without a pause. Failures in a row wait between tries.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_fetch_failure < std::chrono::seconds(1))
        co_await sleep_for(ioc_, std::chrono::milliseconds(200));
      last_fetch_failure = now;
      continue;
    }
    bool stalled = false;
    const int64_t now = wall_ms();
    for (auto& tv : resp->array("responses")) {
      auto& t = tv.as_struct();
      const std::string& topic = t.string("topic");
      for (auto& pv : t.array("partitions")) {
        auto& p = pv.as_struct();
        partition_replica* r = find({topic, static_cast<int32_t>(p.integer("partition_index"))});
        if (r == nullptr || r->leading || r->state.leader != leader || r->needs_truncation)
          continue;
        const auto err = static_cast<error_code>(p.integer("error_code"));
        if (err == error_code::offset_out_of_range) {
          const int64_t leader_start = p.integer("log_start_offset");
          if (leader_start > r->log->log_end_offset()) {
            spdlog::warn("{}-{}: behind the leader's log start {}; starting over there", topic,
                         r->ref.partition, leader_start);
            (void)r->log->reset_to(leader_start);
          } else {
            r->needs_truncation = true;
          }
          continue;
        }
        if (err != error_code::none) {
          stalled = true;  // not the leader (yet), or epochs differ: wait for a newer view
          continue;
        }
        const auto records = p["records"].as_records().view();
        if (!records.empty()) {
          auto appended = r->log->append_replicated(records, now, settings_.follower_writes);
          if (appended.error != error_code::none) {
            spdlog::error("{}-{}: cannot append replicated batches: {}", topic, r->ref.partition,
                          appended.message);
            stalled = true;
            continue;
          }
        }
        r->log->set_high_watermark(p.integer("high_watermark"));
      }
    }
    if (stalled) co_await sleep_for(ioc_, std::chrono::milliseconds(100));
  }
  fetchers_.erase(leader);
  spdlog::info("replica fetcher for leader {} stopped", leader);
  // A view applied while this loop was ending may need it again.
  if (!stopped_) ensure_fetchers();
}

}  // namespace tern::replication
