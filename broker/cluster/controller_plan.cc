// The controller's decisions.
#include "broker/cluster/controller_plan.h"

#include <algorithm>
#include <map>

#include "broker/cluster/replica_placement.h"

namespace tern::cluster {

namespace {

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool leader_alive(const cluster_view& v, const partition_state& s) {
  if (s.leader < 0) return false;
  auto it = v.brokers.find(s.leader);
  if (it == v.brokers.end()) return false;
  return s.leader_incarnation.empty() || s.leader_incarnation == it->second.incarnation;
}

// Replica counts per live broker, to pick the least loaded replacement when draining.
std::map<int32_t, int> replica_load(const cluster_view& v) {
  std::map<int32_t, int> load;
  for (const auto& [id, b] : v.brokers) load[id] = 0;
  for (const auto& [ref, p] : v.partitions)
    for (int32_t r : p.state.replicas) ++load[r];
  return load;
}

// A target without the draining brokers, or nullopt when there are not enough others.
std::optional<std::vector<int32_t>> drain_target(const cluster_view& v, const partition_state& s,
                                                 std::map<int32_t, int>& load) {
  std::vector<int32_t> target = s.replicas;
  for (auto& r : target) {
    if (!v.draining.contains(r)) continue;
    int32_t best = -1;
    for (const auto& [id, n] : load) {
      if (v.draining.contains(id) || contains(target, id)) continue;
      if (best < 0 || n < load[best]) best = id;
    }
    if (best < 0) return std::nullopt;
    ++load[best];
    --load[r];
    r = best;
  }
  return target;
}

// Elects a leader among the live in-sync replicas, preferring `preferred` when it qualifies,
// then the broker up longest (replica order breaks ties), with draining brokers and `avoid`
// last. Up longest, because clients back off from reconnecting to a broker they lost (up to
// librdkafka's reconnect.backoff.max.ms, 10 s): one that restarted a moment ago is the one
// they are least likely to reach at once.
std::optional<int32_t> pick_leader(const cluster_view& v, const partition_state& s,
                                   std::optional<int32_t> preferred, int32_t avoid) {
  auto eligible = [&](int32_t r) { return v.is_live(r) && contains(s.isr, r); };
  if (preferred && eligible(*preferred)) return preferred;
  auto registered = [&](int32_t r) { return v.brokers.at(r).registered_revision; };
  for (int pass = 0; pass < 2; ++pass) {
    std::optional<int32_t> best;
    for (int32_t r : s.replicas) {
      const bool second_choice = v.draining.contains(r) || r == avoid;
      if (!eligible(r) || second_choice != (pass == 1)) continue;
      if (!best || registered(r) < registered(*best)) best = r;
    }
    if (best) return best;
  }
  return std::nullopt;
}

std::optional<partition_state> next_state(const cluster_view& v, const partition_state& s,
                                          const controller_settings& settings,
                                          bool rebalance_leaders, std::map<int32_t, int>& load) {
  partition_state n = s;
  bool must_elect = !leader_alive(v, s);
  std::optional<int32_t> preferred;

  if (n.reassigning()) {
    // Finish a reassignment once every target replica is in sync.
    const auto target = n.target();
    const bool done =
        std::all_of(target.begin(), target.end(), [&](int32_t r) { return contains(n.isr, r); });
    if (done) {
      n.replicas = target;
      std::erase_if(n.isr, [&](int32_t r) { return !contains(n.replicas, r); });
      n.adding.clear();
      n.removing.clear();
      if (!contains(n.replicas, n.leader)) must_elect = true;
    }
  } else if (std::any_of(n.replicas.begin(), n.replicas.end(),
                         [&](int32_t r) { return v.draining.contains(r); })) {
    if (auto target = drain_target(v, n, load)) n = start_reassignment(n, *target);
  }

  // A cancelled reassignment may leave the leader outside the replicas.
  if (n.leader >= 0 && !contains(n.replicas, n.leader)) must_elect = true;

  // Dead followers leave the ISR at once instead of after replica.lag.time.max.ms.
  std::vector<int32_t> live_isr;
  for (int32_t r : n.isr)
    if (v.is_live(r)) live_isr.push_back(r);

  if (!must_elect && rebalance_leaders && !n.replicas.empty() && n.replicas.front() != n.leader &&
      !v.draining.contains(n.replicas.front()) && v.is_live(n.replicas.front()) &&
      contains(live_isr, n.replicas.front())) {
    must_elect = true;
    preferred = n.replicas.front();
  }

  if (!must_elect) {
    if (live_isr.empty()) live_isr.push_back(n.leader);
    n.isr = live_isr;
  } else {
    partition_state candidates = n;
    candidates.isr = live_isr;
    // A restarted leader is still in sync (its log survived), but another member goes first.
    const int32_t avoid = s.leader;
    auto leader = pick_leader(v, candidates, preferred, avoid);
    if (!leader && settings.unclean_leader_election) {
      for (int32_t r : n.replicas)
        if (v.is_live(r)) {
          leader = r;
          live_isr = {r};
          break;
        }
    }
    if (leader) {
      n.leader = *leader;
      n.leader_incarnation = v.brokers.at(*leader).incarnation;
      n.isr = live_isr;
      if (!contains(n.isr, *leader)) n.isr.push_back(*leader);
      n.leader_epoch = s.leader_epoch + 1;
    } else if (s.leader != -1) {
      // Offline: keep the last ISR, so whichever member returns first can lead cleanly.
      n.leader = -1;
      n.leader_incarnation.clear();
      n.leader_epoch = s.leader_epoch + 1;
    }
  }
  if (n == s) return std::nullopt;
  return n;
}

}  // namespace

partition_state start_reassignment(const partition_state& current,
                                   const std::vector<int32_t>& target) {
  partition_state n = current;
  // A reassignment already running starts over from where it began.
  const auto original = current.original();
  n.replicas = target;
  n.adding.clear();
  n.removing.clear();
  for (int32_t r : target)
    if (!contains(original, r)) n.adding.push_back(r);
  for (int32_t r : original)
    if (!contains(target, r)) {
      n.removing.push_back(r);
      n.replicas.push_back(r);
    }
  // Replicas that were being added and are no longer wanted leave the ISR at once.
  std::erase_if(n.isr, [&](int32_t r) { return !contains(n.replicas, r); });
  return n;
}

partition_state initial_partition_state(const cluster_view& v,
                                        const std::vector<int32_t>& replicas) {
  partition_state s;
  s.replicas = replicas;
  for (int32_t r : replicas)
    if (v.is_live(r)) s.isr.push_back(r);
  if (s.isr.empty()) {
    s.isr = replicas;  // nothing written yet, so any replica may lead once it is back
    return s;
  }
  s.leader = s.isr.front();
  s.leader_incarnation = v.brokers.at(s.leader).incarnation;
  return s;
}

std::vector<partition_write> plan_partition_changes(const cluster_view& v,
                                                    const controller_settings& settings,
                                                    bool rebalance_leaders) {
  std::vector<partition_write> out;
  auto load = replica_load(v);
  for (const auto& [name, t] : v.topics) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      partition_ref ref{name, p};
      const versioned_partition* current = v.find(ref);
      if (current == nullptr) {
        std::vector<int32_t> replicas;
        if (static_cast<size_t>(p) < t.assignment.size()) {
          replicas = t.assignment[static_cast<size_t>(p)];
        } else if (!v.brokers.empty()) {
          std::vector<placement_broker> live;
          for (const auto& [id, b] : v.brokers) live.push_back({id, b.rack});
          const auto rf = static_cast<int16_t>(std::min<size_t>(
              static_cast<size_t>(std::max<int16_t>(t.replication_factor, 1)), live.size()));
          replicas = place_replicas(live, p, 1, rf, static_cast<uint32_t>(name.size()))[0];
        }
        if (replicas.empty()) continue;
        out.push_back({ref, 0, initial_partition_state(v, replicas), "new partition"});
        continue;
      }
      if (auto n = next_state(v, current->state, settings, rebalance_leaders, load)) {
        std::string reason = n->leader != current->state.leader ? "leader election" : "isr change";
        if (n->adding != current->state.adding || n->removing != current->state.removing ||
            n->replicas != current->state.replicas)
          reason = "reassignment";
        out.push_back({ref, current->mod_revision, std::move(n), std::move(reason)});
      }
    }
  }
  for (const auto& [ref, p] : v.partitions) {
    auto t = v.topics.find(ref.topic);
    if (t == v.topics.end() || ref.partition >= t->second.partitions)
      out.push_back({ref, p.mod_revision, std::nullopt, "topic deleted"});
  }
  return out;
}

}  // namespace tern::cluster
