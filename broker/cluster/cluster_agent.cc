// The agent's thread: session, controller campaign, view polling and writes.
#include "broker/cluster/cluster_agent.h"

#include <spdlog/spdlog.h>

namespace tern::cluster {

namespace {

int64_t ns(cluster_agent::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool unreachable(const std::string& error) {
  return error.starts_with("etcd unreachable");
}

std::chrono::seconds lease_ttl(std::chrono::milliseconds session_timeout) {
  // etcd counts leases in whole seconds and refuses very short ones.
  return std::chrono::seconds(std::max<int64_t>(2, (session_timeout.count() + 999) / 1000));
}

}  // namespace

cluster_agent::cluster_agent(agent_settings settings, std::unique_ptr<etcd_client> client,
                             std::function<void(view_ptr)> on_view)
    : settings_(std::move(settings)), client_(std::move(client)), on_view_(std::move(on_view)) {}

cluster_agent::~cluster_agent() {
  stop();
}

std::expected<std::unique_ptr<cluster_agent>, std::string> cluster_agent::start(
    agent_settings settings, std::function<void(view_ptr)> on_view) {
  auto client = etcd_client::connect(settings.endpoints, settings.heartbeat_interval);
  if (!client) return std::unexpected(client.error());
  std::unique_ptr<cluster_agent> a(
      new cluster_agent(std::move(settings), std::move(*client), std::move(on_view)));
  if (auto r = a->register_broker(); !r) return std::unexpected(r.error());
  a->read_view();
  a->thread_ = std::thread([p = a.get()] { p->run(); });
  a->watch_ = std::make_unique<etcd_watch>(a->settings_.endpoints, a->settings_.keys.prefix + "/",
                                           [p = a.get()] { p->refresh_soon(); });
  return a;
}

std::expected<void, std::string> cluster_agent::register_broker() {
  const std::string key = settings_.keys.broker(settings_.self.id);
  // A registration left by this node's previous process (killed before its lease ran out)
  // is revoked, so the controller sees that process gone rather than waiting for its lease.
  auto old = client_->get(key);
  if (!old) return std::unexpected(old.error());
  if (*old && (*old)->lease != 0 && (*old)->lease != lease_) {
    auto prior = broker_from_json(nlohmann::json::parse((*old)->value, nullptr, false));
    if (!prior || prior->incarnation != settings_.self.incarnation) {
      spdlog::info("revoking the registration of node {}'s previous process", settings_.self.id);
      (void)client_->revoke((*old)->lease);
    }
  }
  const auto sent = clock::now();
  auto lease = client_->grant_lease(lease_ttl(settings_.session_timeout));
  if (!lease) return std::unexpected(lease.error());
  lease_ = *lease;
  auto rev = client_->put(key, to_json(settings_.self).dump(), lease_);
  if (!rev) return std::unexpected(rev.error());
  required_revision_ = *rev;
  lease_valid_until_ = ns(sent + lease_ttl(settings_.session_timeout));
  next_heartbeat_ = sent + settings_.heartbeat_interval;
  spdlog::info("registered node {} in etcd (lease {:x}, revision {})", settings_.self.id, lease_,
               *rev);
  return {};
}

void cluster_agent::stop() {
  watch_.reset();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) (void)client_->revoke(lease_);
  lease_valid_until_ = 0;
}

bool cluster_agent::may_lead(int64_t applied_revision, clock::time_point now) const {
  if (applied_revision < required_revision_.load()) return false;
  const int64_t t = ns(now);
  if (t < lease_valid_until_.load()) return true;
  const int64_t u = last_unreachable_at_.load();
  return u != 0 && t - u < 2 * std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   settings_.heartbeat_interval)
                                   .count();
}

void cluster_agent::submit(partition_write write, std::function<void(bool)> done) {
  {
    std::lock_guard lock(mutex_);
    writes_.push_back({std::move(write), std::move(done)});
  }
  wake_.notify_all();
}

void cluster_agent::refresh_soon() {
  {
    std::lock_guard lock(mutex_);
    refresh_ = true;
  }
  wake_.notify_all();
}

void cluster_agent::report_refused(int32_t broker, std::string incarnation) {
  {
    std::lock_guard lock(mutex_);
    refused_.emplace_back(broker, std::move(incarnation));
  }
  wake_.notify_all();
}

bool cluster_agent::end_refused_sessions() {
  std::deque<std::pair<int32_t, std::string>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(refused_);
  }
  bool ended = false;
  for (const auto& [id, incarnation] : batch) {
    if (id == settings_.self.id) continue;
    auto kv = client_->get(settings_.keys.broker(id));
    if (!kv || !*kv || (*kv)->lease == 0) continue;
    auto reg = broker_from_json(nlohmann::json::parse((*kv)->value, nullptr, false));
    if (!reg || reg->incarnation != incarnation) continue;  // already gone, or restarted
    spdlog::warn(
        "node {} refuses connections at {}:{}: its process is gone; ending its session now "
        "rather than when its lease expires",
        id, reg->host, reg->port);
    // Another broker may have ended it a moment earlier ("lease not found").
    if (auto r = client_->revoke((*kv)->lease); r)
      ended = true;
    else if (r.error().find("lease not found") == std::string::npos)
      spdlog::warn("cannot end the session of node {}: {}", id, r.error());
  }
  return ended;
}

std::expected<void, std::string> cluster_agent::set_draining(int32_t broker, bool draining) {
  // A separate client: this runs on the caller's thread.
  auto c = etcd_client::connect(settings_.endpoints, settings_.heartbeat_interval);
  if (!c) return std::unexpected(c.error());
  const std::string key = settings_.keys.drain(broker);
  if (draining) {
    auto r = (*c)->put(key, "{}");
    if (!r) return std::unexpected(r.error());
  } else {
    auto r = (*c)->remove(key);
    if (!r) return std::unexpected(r.error());
  }
  refresh_soon();
  return {};
}

void cluster_agent::heartbeat(clock::time_point now) {
  next_heartbeat_ = now + settings_.heartbeat_interval;
  auto ttl = client_->keep_alive(lease_);
  if (ttl) {
    lease_valid_until_ = ns(now + lease_ttl(settings_.session_timeout));
    last_unreachable_at_ = 0;
    return;
  }
  if (unreachable(ttl.error())) {
    spdlog::warn("etcd heartbeat failed: {}", ttl.error());
    last_unreachable_at_ = ns(clock::now());
    return;
  }
  // The lease is gone: other brokers have seen this one leave, and may have elected new
  // leaders. Register again; until a view newer than that is applied, lead nothing.
  spdlog::warn("etcd session lost ({}); registering again", ttl.error());
  lease_valid_until_ = 0;
  controller_ = false;
  if (auto r = register_broker(); !r) spdlog::warn("cannot register again: {}", r.error());
  std::lock_guard lock(mutex_);
  refresh_ = true;
}

bool cluster_agent::write_partition(const partition_write& w) {
  const std::string key = settings_.keys.partition(w.ref);
  std::expected<bool, std::string> r =
      w.state ? client_->compare_and_put(key, w.expected_mod_revision, to_json(*w.state).dump())
              : client_->compare_and_delete(key, w.expected_mod_revision);
  if (!r) {
    spdlog::warn("write of {}-{} failed: {}", w.ref.topic, w.ref.partition, r.error());
    return false;
  }
  return *r;
}

bool cluster_agent::apply_writes() {
  std::deque<pending_write> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(writes_);
  }
  for (auto& p : batch) {
    const bool ok = write_partition(p.write);
    if (p.done) p.done(ok);
  }
  return !batch.empty();
}

void cluster_agent::campaign(const cluster_view& v) {
  const bool was = controller_.load();
  const bool now = v.controller == settings_.self.id;
  if (v.controller < 0) {
    auto won = client_->compare_and_put(settings_.keys.controller(), 0,
                                        nlohmann::json{{"id", settings_.self.id}}.dump(), lease_);
    if (won && *won) {
      spdlog::info("node {} is the controller", settings_.self.id);
      std::lock_guard lock(mutex_);
      refresh_ = true;
    }
  }
  controller_ = now;
  if (now && !was) next_rebalance_ = clock::now() + settings_.leader_imbalance_check_interval;
}

void cluster_agent::read_view() {
  const auto started = clock::now();
  auto range = client_->get_prefix(settings_.keys.prefix + "/");
  if (!range) {
    spdlog::warn("cannot read the cluster state: {}", range.error());
    return;
  }
  auto view = std::make_shared<cluster_view>(parse_view(settings_.keys, *range));
  view->read_at = started;
  last_revision_ = view->revision;
  campaign(*view);
  if (controller_.load()) {
    const bool rebalance = settings_.auto_leader_rebalance && clock::now() >= next_rebalance_;
    if (rebalance) next_rebalance_ = clock::now() + settings_.leader_imbalance_check_interval;
    bool wrote = false;
    for (const auto& w : plan_partition_changes(*view, settings_.controller, rebalance)) {
      const bool ok = write_partition(w);
      wrote = wrote || ok;
      if (ok)
        spdlog::info("controller: {}-{}: {}{}", w.ref.topic, w.ref.partition, w.reason,
                     w.state ? " -> leader " + std::to_string(w.state->leader) + " epoch " +
                                   std::to_string(w.state->leader_epoch)
                             : std::string());
    }
    if (wrote) {
      std::lock_guard lock(mutex_);
      refresh_ = true;
    }
  }
  on_view_(std::move(view));
}

void cluster_agent::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, settings_.poll_interval, [&] {
        return stopping_ || refresh_ || !writes_.empty() || !refused_.empty();
      });
      if (stopping_) return;
    }
    const auto now = clock::now();
    if (now >= next_heartbeat_) heartbeat(now);
    const bool wrote = end_refused_sessions() | apply_writes();
    bool refresh = wrote;
    {
      std::lock_guard lock(mutex_);
      refresh = refresh || refresh_;
      refresh_ = false;
    }
    if (!refresh) {
      auto rev = client_->revision();
      if (!rev) {
        if (unreachable(rev.error())) last_unreachable_at_ = ns(clock::now());
        continue;
      }
      refresh = *rev != last_revision_;
    }
    // The controller also re-plans periodically: leases expire without changing the revision
    // until etcd deletes their keys, and leader rebalancing is due on a timer.
    if (refresh || (controller_.load() && clock::now() >= next_rebalance_)) read_view();
  }
}

}  // namespace tern::cluster
