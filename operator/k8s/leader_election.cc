// Lease-based leader election.
#include "operator/k8s/leader_election.h"

#include <condition_variable>
#include <random>

#include <spdlog/spdlog.h>

#include "operator/k8s/resource.h"
#include "operator/k8s/rfc3339.h"

namespace tern::op::k8s {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

bool sleep_for(std::chrono::milliseconds d, const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(1.0, 1.2);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * f(rng)));
}

int whole_seconds(std::chrono::milliseconds d) {
  return static_cast<int>(std::max<long long>(1, (d.count() + 999) / 1000));
}

}  // namespace

leader_elector::leader_elector(client& api, options o) : api_(api), options_(std::move(o)) {}

leader_elector::attempt leader_elector::try_acquire_or_renew() {
  const std::string now = now_rfc3339_micro();
  const int duration = whole_seconds(options_.lease_duration);
  auto lease = api_.get(resources::leases, options_.ns, options_.name);
  if (!lease) {
    if (!lease.error().not_found()) {
      spdlog::warn("leader election: cannot read lease {}/{}: {}", options_.ns, options_.name,
                   lease.error().to_string());
      return attempt::failed;
    }
    json spec = {{"holderIdentity", options_.identity},
                 {"leaseDurationSeconds", duration},
                 {"acquireTime", now},
                 {"renewTime", now},
                 {"leaseTransitions", 0}};
    json object = {{"apiVersion", "coordination.k8s.io/v1"},
                   {"kind", "Lease"},
                   {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                   {"spec", spec}};
    auto created = api_.create(resources::leases, options_.ns, object);
    if (!created) {
      if (!created.error().already_exists())
        spdlog::warn("leader election: cannot create lease {}/{}: {}", options_.ns, options_.name,
                     created.error().to_string());
      return attempt::failed;
    }
    observed_spec_ = (*created)["spec"];
    observed_at_ = steady::now();
    return attempt::held;
  }

  json spec = (*lease)["spec"].is_object() ? (*lease)["spec"] : json::object();
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_at_ = steady::now();
  }
  const std::string holder = spec.value("holderIdentity", "");
  const bool mine = holder == options_.identity;
  if (!holder.empty() && !mine) {
    const int held_for = spec.value("leaseDurationSeconds", duration);
    if (observed_at_ + std::chrono::seconds(held_for) > steady::now())
      return attempt::taken_by_other;
  }

  json next = spec;
  next["holderIdentity"] = options_.identity;
  next["leaseDurationSeconds"] = duration;
  next["renewTime"] = now;
  if (!mine) {
    next["acquireTime"] = now;
    next["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  json object = *lease;
  object["spec"] = next;  // metadata.resourceVersion stays: a 409 means someone else won
  auto updated = api_.update(resources::leases, options_.ns, options_.name, object);
  if (!updated) {
    if (!updated.error().conflict())
      spdlog::warn("leader election: cannot update lease {}/{}: {}", options_.ns, options_.name,
                   updated.error().to_string());
    return attempt::failed;
  }
  observed_spec_ = (*updated)["spec"];
  observed_at_ = steady::now();
  return attempt::held;
}

void leader_elector::release() {
  auto lease = api_.get(resources::leases, options_.ns, options_.name);
  if (!lease) return;
  json& spec = (*lease)["spec"];
  if (!spec.is_object() || spec.value("holderIdentity", "") != options_.identity) return;
  const std::string now = now_rfc3339_micro();
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = now;
  spec["acquireTime"] = now;
  auto updated = api_.update(resources::leases, options_.ns, options_.name, *lease);
  if (!updated)
    spdlog::warn("leader election: cannot release lease {}/{}: {}", options_.ns, options_.name,
                 updated.error().to_string());
}

void leader_elector::run(std::function<void()> on_started_leading,
                         std::function<void()> on_stopped_leading, std::stop_token stop) {
  while (!stop.stop_requested()) {
    while (try_acquire_or_renew() != attempt::held)
      if (!sleep_for(jittered(options_.retry_period), stop)) return;
    spdlog::info("leader election: {} leads {}/{}", options_.identity, options_.ns, options_.name);
    leader_ = true;
    if (on_started_leading) on_started_leading();

    auto renewed_at = steady::now();
    while (sleep_for(options_.retry_period, stop)) {
      const attempt a = try_acquire_or_renew();
      if (a == attempt::held) {
        renewed_at = steady::now();
        continue;
      }
      if (a == attempt::taken_by_other) {
        spdlog::warn("leader election: {} lost {}/{} to {}", options_.identity, options_.ns,
                     options_.name, observed_spec_.value("holderIdentity", ""));
        break;
      }
      if (steady::now() - renewed_at >= options_.renew_deadline) {
        spdlog::warn("leader election: {} could not renew {}/{} within {} ms", options_.identity,
                     options_.ns, options_.name, options_.renew_deadline.count());
        break;
      }
    }
    leader_ = false;
    if (on_stopped_leading) on_stopped_leading();
    if (stop.stop_requested() && options_.release_on_cancel) release();
  }
}

}  // namespace tern::op::k8s
