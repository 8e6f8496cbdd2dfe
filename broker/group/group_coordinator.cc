// Group membership, rebalances and committed offsets, following Kafka's coordinator.
#include "broker/group/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "broker/protocol/byte_io.h"
#include "broker/protocol/record_batch.h"
#include "broker/protocol/record_batch_builder.h"

namespace tern::group {

using protocol::error_code;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Java's String.hashCode over the UTF-16 code units of an ASCII/UTF-8 group id's bytes, so
// group placement matches Kafka's for the ids clients use.
int32_t java_hash(const std::string& s) {
  uint32_t h = 0;
  for (unsigned char c : s) h = 31 * h + c;
  return static_cast<int32_t>(h);
}

}  // namespace

group_coordinator::group_coordinator(boost::asio::io_context& ioc, offsets_storage& storage,
                                     coordinator_config config)
    : ioc_(ioc), storage_(storage), config_(config), tick_timer_(ioc) {}

error_code group_coordinator::validate_group_id(const std::string& group_id) {
  if (group_id.empty() || group_id.size() > 255) return error_code::invalid_group_id;
  return error_code::none;
}

error_code group_coordinator::coordinator_error(const std::string& group_id) const {
  if (auto e = validate_group_id(group_id); e != error_code::none) return e;
  if (led_ && !led_->contains(partition_for(group_id))) return error_code::not_coordinator;
  return error_code::none;
}

int32_t group_coordinator::partition_for(const std::string& group_id) const {
  const int32_t h = java_hash(group_id);
  const int32_t positive = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return positive % config_.offsets_partitions;
}

std::string group_coordinator::new_member_id(const std::string& prefix) const {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix + "-";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += kHex[rng() & 15];
  }
  return id;
}

error_code group_coordinator::check_fenced(const group& g, const std::string& member_id,
                                           const std::optional<std::string>& instance_id) {
  if (!instance_id) return error_code::none;
  auto it = g.static_members.find(*instance_id);
  if (it != g.static_members.end() && it->second != member_id)
    return error_code::fenced_instance_id;
  return error_code::none;
}

group* group_coordinator::find(const std::string& id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}
const group* group_coordinator::find(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

// ---- start-up -------------------------------------------------------------------------

void group_coordinator::serve_led_partitions_only() {
  led_.emplace();
}

void group_coordinator::partition_led(int32_t partition) {
  if (!led_ || led_->contains(partition)) return;
  partition_lost(partition);  // forget anything stale first
  led_->insert(partition);
  load_partition(partition);
  size_t n = 0;
  for (const auto& [id, g] : groups_) n += partition_for(id) == partition;
  spdlog::info("coordinating the {} groups of {}-{}", n, kOffsetsTopic, partition);
}

void group_coordinator::partition_lost(int32_t partition) {
  if (!led_) return;
  led_->erase(partition);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (partition_for(it->first) != partition) {
      ++it;
      continue;
    }
    for (auto& [id, m] : it->second.members) {
      join_result j;
      j.error = error_code::not_coordinator;
      answer_join(m, std::move(j));
      sync_result s;
      s.error = error_code::not_coordinator;
      answer_sync(m, std::move(s));
    }
    it = groups_.erase(it);
  }
}

void group_coordinator::start() {
  if (!led_ && storage_.topic_exists()) {
    for (int32_t p = 0; p < config_.offsets_partitions; ++p) load_partition(p);
    size_t offsets = 0;
    for (const auto& [id, g] : groups_) offsets += g.offsets.size();
    spdlog::info("group coordinator loaded {} groups and {} committed offsets", groups_.size(),
                 offsets);
  }
  next_retention_check_ =
      clock::now() + std::chrono::milliseconds(config_.offsets_retention_check_interval_ms);
  boost::asio::co_spawn(ioc_, tick_loop(), boost::asio::detached);
}

void group_coordinator::stop() {
  stopped_ = true;
  tick_timer_.cancel();
}

void group_coordinator::load_partition(int32_t partition) {
  storage_.scan(partition, [&](std::string_view batch) {
    auto h = protocol::read_batch_header(batch);
    if (!h || h->codec() != protocol::compression::none || h->is_control()) return;
    protocol::for_each_record(
        batch.substr(protocol::kBatchHeaderSize), h->records_count,
        [&](const protocol::record_view& r) {
          if (!r.key) return;
          auto key = decode_key(*r.key);
          if (!key) return;
          if (auto* ok = std::get_if<offset_key>(&*key)) {
            auto& g = groups_[ok->group];
            g.id = ok->group;
            const auto k = std::make_pair(ok->topic, ok->partition);
            if (!r.value) {
              g.offsets.erase(k);
              return;
            }
            if (auto v = decode_offset_value(*r.value)) g.offsets[k] = std::move(*v);
          } else {
            const auto& gk = std::get<group_key>(*key);
            if (!r.value) {
              // A deleted group keeps nothing, offsets included.
              groups_.erase(gk.group);
              return;
            }
            auto v = decode_group_value(*r.value);
            if (!v) return;
            auto& g = groups_[gk.group];
            g.id = gk.group;
            g.protocol_type = v->protocol_type;
            g.generation = v->generation;
            g.protocol = v->protocol;
            g.leader = v->leader;
            g.state_timestamp_ms = v->state_timestamp;
            g.members.clear();
            g.static_members.clear();
            // Members come back as they were, with a fresh session: they keep their
            // assignment if they heartbeat in time, as after a coordinator move in Kafka.
            for (const auto& mr : v->members) {
              member m;
              m.id = mr.member_id;
              m.instance_id = mr.group_instance_id;
              m.client_id = mr.client_id;
              m.client_host = mr.client_host;
              m.rebalance_timeout_ms = mr.rebalance_timeout_ms;
              m.session_timeout_ms = mr.session_timeout_ms;
              if (v->protocol) m.protocols.emplace_back(*v->protocol, mr.subscription);
              m.assignment = mr.assignment;
              m.deadline = clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
              if (m.instance_id) g.static_members[*m.instance_id] = m.id;
              g.members[m.id] = std::move(m);
            }
            g.state = g.members.empty() ? group_state::empty : group_state::stable;
          }
        },
        nullptr);
  });
}

// ---- persistence ----------------------------------------------------------------------

bool group_coordinator::write(
    const std::string& group_id,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& records) {
  if (auto e = storage_.ensure_topic(config_.offsets_partitions); !e) {
    spdlog::error("cannot create {}: {}", kOffsetsTopic, e.error());
    return false;
  }
  protocol::record_batch_builder b(wall_ms());
  for (const auto& [key, value] : records)
    b.add(std::string_view(key), value ? std::optional<std::string_view>(*value) : std::nullopt);
  std::string batch = b.build();
  if (auto a = storage_.append(partition_for(group_id), batch); !a) {
    spdlog::error("cannot write to {}: {}", kOffsetsTopic, a.error());
    return false;
  }
  return true;
}

bool group_coordinator::persist_group(const group& g) {
  group_value v;
  v.protocol_type = g.protocol_type;
  v.generation = g.generation;
  v.protocol = g.protocol;
  v.leader = g.leader;
  v.state_timestamp = g.state_timestamp_ms;
  if (g.state == group_state::stable || g.state == group_state::completing_rebalance) {
    for (const auto& [id, m] : g.members) {
      const std::string* sub = g.protocol ? m.metadata_for(*g.protocol) : nullptr;
      v.members.push_back({m.id, m.instance_id, m.client_id, m.client_host, m.rebalance_timeout_ms,
                           m.session_timeout_ms, sub ? *sub : "", m.assignment});
    }
  }
  return write(g.id, {{encode_key(group_key{g.id}), encode_value(v)}});
}

// ---- membership -----------------------------------------------------------------------

void group_coordinator::set_state(group& g, group_state s) {
  g.state = s;
  g.state_timestamp_ms = wall_ms();
}

void group_coordinator::add_member(group& g, const join_request& r, const std::string& id) {
  member m;
  m.id = id;
  m.instance_id = r.group_instance_id;
  m.client_id = r.client_id;
  m.client_host = r.client_host;
  m.session_timeout_ms = r.session_timeout_ms;
  m.rebalance_timeout_ms =
      r.rebalance_timeout_ms < 0 ? r.session_timeout_ms : r.rebalance_timeout_ms;
  m.protocols = r.protocols;
  m.deadline = clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
  if (g.members.empty()) g.protocol_type = r.protocol_type;
  if (m.instance_id) g.static_members[*m.instance_id] = id;
  g.pending_members.erase(id);
  g.members[id] = std::move(m);
}

void group_coordinator::answer_join(member& m, join_result result) {
  if (!m.join_waiter) return;
  *m.join_answer = std::move(result);
  m.join_waiter->wake();
  m.join_waiter.reset();
  m.join_answer.reset();
}

void group_coordinator::answer_sync(member& m, sync_result result) {
  if (!m.sync_waiter) return;
  *m.sync_answer = std::move(result);
  m.sync_waiter->wake();
  m.sync_waiter.reset();
  m.sync_answer.reset();
}

void group_coordinator::prepare_rebalance(group& g, const std::string& reason) {
  // Members waiting for their assignment must rejoin instead.
  for (auto& [id, m] : g.members) {
    sync_result r;
    r.error = error_code::rebalance_in_progress;
    answer_sync(m, r);
  }
  const bool was_empty = g.state == group_state::empty;
  set_state(g, group_state::preparing_rebalance);
  const auto now = clock::now();
  g.rebalance_deadline = now + std::chrono::milliseconds(g.max_rebalance_timeout_ms());
  // A new group waits a little for the rest of its members before the first generation.
  g.initial_delay_until =
      was_empty ? now + std::chrono::milliseconds(std::min<int64_t>(
                            config_.initial_rebalance_delay_ms, g.max_rebalance_timeout_ms()))
                : now;
  spdlog::info("group {}: preparing rebalance for generation {} ({})", g.id, g.generation + 1,
               reason);
}

join_result group_coordinator::current_join_result(const group& g,
                                                   const std::string& member_id) const {
  join_result r;
  r.generation = g.generation;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol;
  r.leader = g.leader.value_or("");
  r.member_id = member_id;
  if (g.leader && *g.leader == member_id && g.protocol) {
    for (const auto& [id, m] : g.members) {
      const std::string* md = m.metadata_for(*g.protocol);
      r.members.push_back({id, m.instance_id, md ? *md : ""});
    }
  }
  return r;
}

void group_coordinator::maybe_complete_join(group& g) {
  if (g.state != group_state::preparing_rebalance) return;
  const auto now = clock::now();
  if (now >= g.rebalance_deadline || (g.all_members_joined() && now >= g.initial_delay_until))
    complete_join(g);
}

void group_coordinator::complete_join(group& g) {
  // Members that did not rejoin in time leave the group.
  for (auto it = g.members.begin(); it != g.members.end();) {
    if (!it->second.join_waiter) {
      spdlog::info("group {}: member {} did not rejoin in time", g.id, it->first);
      if (it->second.instance_id) g.static_members.erase(*it->second.instance_id);
      it = g.members.erase(it);
    } else {
      ++it;
    }
  }
  g.pending_members.clear();
  ++g.generation;
  if (g.members.empty()) {
    g.protocol.reset();
    g.leader.reset();
    set_state(g, group_state::empty);
    persist_group(g);
    return;
  }
  g.protocol = g.select_protocol();
  if (!g.leader || !g.members.contains(*g.leader)) g.leader = g.members.begin()->first;
  set_state(g, group_state::completing_rebalance);
  spdlog::info("group {}: generation {} with {} members, protocol {}, leader {}", g.id,
               g.generation, g.members.size(), g.protocol.value_or("?"), *g.leader);
  const auto now = clock::now();
  for (auto& [id, m] : g.members) {
    m.deadline = now + std::chrono::milliseconds(m.session_timeout_ms);
    answer_join(m, current_join_result(g, id));
  }
}

void group_coordinator::remove_member(group& g, const std::string& member_id,
                                      const std::string& reason) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  join_result gone;
  gone.error = error_code::unknown_member_id;
  gone.member_id = member_id;
  answer_join(it->second, gone);
  sync_result no_sync;
  no_sync.error = error_code::unknown_member_id;
  answer_sync(it->second, no_sync);
  if (it->second.instance_id) g.static_members.erase(*it->second.instance_id);
  g.members.erase(it);
  spdlog::info("group {}: member {} removed ({})", g.id, member_id, reason);
  switch (g.state) {
    case group_state::stable:
    case group_state::completing_rebalance:
      if (g.members.empty()) {
        ++g.generation;
        g.protocol.reset();
        g.leader.reset();
        set_state(g, group_state::empty);
        persist_group(g);
      } else {
        prepare_rebalance(g, "member " + member_id + " left");
      }
      break;
    case group_state::preparing_rebalance:
      maybe_complete_join(g);
      break;
    default:
      break;
  }
}

boost::asio::awaitable<join_result> group_coordinator::join(join_request r) {
  join_result fail;
  fail.member_id = r.member_id;
  if ((fail.error = coordinator_error(r.group_id)) != error_code::none) co_return fail;
  if (r.session_timeout_ms < config_.min_session_timeout_ms ||
      r.session_timeout_ms > config_.max_session_timeout_ms) {
    fail.error = error_code::invalid_session_timeout;
    co_return fail;
  }
  group* existing = find(r.group_id);
  if (existing == nullptr && !r.member_id.empty()) {
    fail.error = error_code::unknown_member_id;
    co_return fail;
  }
  group& g = groups_[r.group_id];
  g.id = r.group_id;
  if (!g.supports(r.protocol_type, r.protocols)) {
    fail.error = error_code::inconsistent_group_protocol;
    co_return fail;
  }

  std::string id = r.member_id;
  if (id.empty()) {
    id = new_member_id(r.group_instance_id ? *r.group_instance_id : r.client_id);
    if (r.group_instance_id && g.static_members.contains(*r.group_instance_id)) {
      // A static member restarted: it takes over its old identity; the old id is fenced.
      const std::string old_id = g.static_members[*r.group_instance_id];
      auto node = g.members.extract(old_id);
      member& old = node.mapped();
      join_result fenced;
      fenced.error = error_code::fenced_instance_id;
      answer_join(old, fenced);
      sync_result fenced_sync;
      fenced_sync.error = error_code::fenced_instance_id;
      answer_sync(old, fenced_sync);
      const bool same_protocols = old.protocols == r.protocols;
      const bool was_leader = g.leader && *g.leader == old_id;
      const std::string previous_leader = g.leader.value_or("");
      node.key() = id;
      node.mapped().id = id;
      node.mapped().protocols = r.protocols;
      node.mapped().client_host = r.client_host;
      node.mapped().deadline =
          clock::now() + std::chrono::milliseconds(node.mapped().session_timeout_ms);
      g.members.insert(std::move(node));
      g.static_members[*r.group_instance_id] = id;
      if (g.leader && *g.leader == old_id) g.leader = id;
      if (g.state == group_state::stable && same_protocols) {
        spdlog::info("group {}: static member {} rejoined as {}", g.id, *r.group_instance_id, id);
        persist_group(g);
        // As Kafka: a client that cannot skip the assignment is told the previous leader id
        // and no members, so it does not run an assignment the stable group would ignore;
        // one that can (KIP-814) learns it leads, with the members, and skips assigning.
        join_result rejoined = current_join_result(g, id);
        if (r.can_skip_assignment && was_leader) {
          rejoined.skip_assignment = true;
        } else {
          rejoined.leader = previous_leader;
          rejoined.members.clear();
        }
        co_return rejoined;
      }
      if (g.state != group_state::preparing_rebalance)
        prepare_rebalance(g, "static member " + *r.group_instance_id + " rejoined");
    } else if (r.member_id_required && !r.group_instance_id) {
      g.pending_members[id] = clock::now() + std::chrono::milliseconds(r.session_timeout_ms);
      join_result required;
      required.error = error_code::member_id_required;
      required.member_id = id;
      co_return required;
    } else {
      add_member(g, r, id);
      if (g.state != group_state::preparing_rebalance)
        prepare_rebalance(g, "member " + id + " joined");
    }
  } else if (g.pending_members.contains(id)) {
    add_member(g, r, id);
    if (g.state != group_state::preparing_rebalance)
      prepare_rebalance(g, "member " + id + " joined");
  } else {
    if ((fail.error = check_fenced(g, id, r.group_instance_id)) != error_code::none) co_return fail;
    auto it = g.members.find(id);
    if (it == g.members.end()) {
      fail.error = error_code::unknown_member_id;
      co_return fail;
    }
    member& m = it->second;
    const bool changed = m.protocols != r.protocols;
    m.protocols = r.protocols;
    m.session_timeout_ms = r.session_timeout_ms;
    if (r.rebalance_timeout_ms >= 0) m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.client_host = r.client_host;
    m.deadline = clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
    switch (g.state) {
      case group_state::preparing_rebalance:
        break;
      case group_state::completing_rebalance:
        if (!changed) co_return current_join_result(g, id);
        prepare_rebalance(g, "member " + id + " changed its protocols");
        break;
      case group_state::stable:
        if (!changed && !(g.leader && *g.leader == id)) co_return current_join_result(g, id);
        prepare_rebalance(g, "member " + id + " rejoined");
        break;
      default:
        fail.error = error_code::unknown_member_id;
        co_return fail;
    }
  }

  member& m = g.members.at(id);
  if (m.join_waiter) {
    // A duplicate JoinGroup from the same member: the older request is superseded.
    join_result superseded;
    superseded.error = error_code::rebalance_in_progress;
    answer_join(m, superseded);
  }
  auto w = std::make_shared<waiter>(ioc_.get_executor());
  auto answer = std::make_shared<join_result>();
  m.join_waiter = w;
  m.join_answer = answer;
  maybe_complete_join(g);
  co_await w->wait();
  co_return *answer;
}

boost::asio::awaitable<sync_result> group_coordinator::sync(sync_request r) {
  sync_result fail;
  if ((fail.error = coordinator_error(r.group_id)) != error_code::none) co_return fail;
  group* g = find(r.group_id);
  if (g != nullptr &&
      (fail.error = check_fenced(*g, r.member_id, r.group_instance_id)) != error_code::none)
    co_return fail;
  if (g == nullptr || !g->members.contains(r.member_id)) {
    fail.error = error_code::unknown_member_id;
    co_return fail;
  }
  member& m = g->members.at(r.member_id);
  if (r.generation != g->generation) {
    fail.error = error_code::illegal_generation;
    co_return fail;
  }
  if ((r.protocol_type && *r.protocol_type != g->protocol_type) ||
      (r.protocol_name && g->protocol && *r.protocol_name != *g->protocol)) {
    fail.error = error_code::inconsistent_group_protocol;
    co_return fail;
  }
  m.deadline = clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
  sync_result ok;
  ok.protocol_type = g->protocol_type;
  ok.protocol_name = g->protocol;
  switch (g->state) {
    case group_state::preparing_rebalance:
      fail.error = error_code::rebalance_in_progress;
      co_return fail;
    case group_state::stable:
      ok.assignment = m.assignment;
      co_return ok;
    case group_state::completing_rebalance:
      break;
    default:
      fail.error = error_code::unknown_member_id;
      co_return fail;
  }
  auto w = std::make_shared<waiter>(ioc_.get_executor());
  auto answer = std::make_shared<sync_result>();
  m.sync_waiter = w;
  m.sync_answer = answer;
  if (g->leader && *g->leader == r.member_id) {
    for (auto& [id, mem] : g->members) mem.assignment.clear();
    for (const auto& [id, assignment] : r.assignments)
      if (auto it = g->members.find(id); it != g->members.end()) it->second.assignment = assignment;
    set_state(*g, group_state::stable);
    persist_group(*g);
    for (auto& [id, mem] : g->members) {
      sync_result each = ok;
      each.assignment = mem.assignment;
      answer_sync(mem, each);
    }
  }
  co_await w->wait();
  co_return *answer;
}

error_code group_coordinator::heartbeat(const std::string& group_id, int32_t generation,
                                        const std::string& member_id,
                                        const std::optional<std::string>& instance_id) {
  if (auto e = coordinator_error(group_id); e != error_code::none) return e;
  group* g = find(group_id);
  if (g == nullptr) return error_code::unknown_member_id;
  if (auto e = check_fenced(*g, member_id, instance_id); e != error_code::none) return e;
  auto it = g->members.find(member_id);
  if (it == g->members.end()) return error_code::unknown_member_id;
  if (generation != g->generation) return error_code::illegal_generation;
  it->second.deadline = clock::now() + std::chrono::milliseconds(it->second.session_timeout_ms);
  if (g->state == group_state::preparing_rebalance) return error_code::rebalance_in_progress;
  return error_code::none;
}

std::vector<error_code> group_coordinator::leave(const std::string& group_id,
                                                 const std::vector<member_identity>& members) {
  std::vector<error_code> out;
  if (auto e = coordinator_error(group_id); e != error_code::none) {
    out.push_back(e);
    return out;
  }
  group* g = find(group_id);
  out.push_back(error_code::none);
  for (const auto& who : members) {
    if (g == nullptr) {
      out.push_back(error_code::unknown_member_id);
      continue;
    }
    std::string id = who.member_id;
    if (who.group_instance_id) {
      auto s = g->static_members.find(*who.group_instance_id);
      if (s == g->static_members.end()) {
        out.push_back(error_code::unknown_member_id);
        continue;
      }
      if (!id.empty() && s->second != id) {
        out.push_back(error_code::fenced_instance_id);
        continue;
      }
      id = s->second;
    }
    if (g->pending_members.erase(id) > 0) {
      out.push_back(error_code::none);
      continue;
    }
    if (!g->members.contains(id)) {
      out.push_back(error_code::unknown_member_id);
      continue;
    }
    remove_member(*g, id, "left the group");
    out.push_back(error_code::none);
  }
  // Before v3 (one member, no list) the member's error is the request's error.
  return out;
}

// ---- offsets --------------------------------------------------------------------------

std::vector<error_code> group_coordinator::commit(const std::string& group_id, int32_t generation,
                                                  const std::string& member_id,
                                                  const std::optional<std::string>& instance_id,
                                                  const std::vector<partition_commit>& commits) {
  auto all = [&](error_code e) { return std::vector<error_code>(commits.size(), e); };
  if (auto e = coordinator_error(group_id); e != error_code::none) return all(e);
  group* g = find(group_id);
  const bool simple = generation < 0 && member_id.empty();
  if (simple) {
    // Commits from consumers that manage partitions themselves: only for groups without
    // members, as in Kafka.
    if (g != nullptr && !g->members.empty()) return all(error_code::unknown_member_id);
  } else {
    if (g != nullptr) {
      if (auto e = check_fenced(*g, member_id, instance_id); e != error_code::none) return all(e);
    }
    if (g == nullptr || !g->members.contains(member_id)) return all(error_code::unknown_member_id);
    const member& m = g->members.at(member_id);
    if (generation != g->generation) return all(error_code::illegal_generation);
    if (g->state == group_state::completing_rebalance)
      return all(error_code::rebalance_in_progress);
    g->members.at(member_id).deadline =
        clock::now() + std::chrono::milliseconds(m.session_timeout_ms);
  }
  std::vector<error_code> out;
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  std::vector<std::pair<std::pair<std::string, int32_t>, committed_offset>> accepted;
  const int64_t now = wall_ms();
  for (const auto& c : commits) {
    if (c.metadata && c.metadata->size() > config_.offset_metadata_max_bytes) {
      out.push_back(error_code::offset_metadata_too_large);
      continue;
    }
    if (!storage_.partition_exists(c.topic, c.partition)) {
      out.push_back(error_code::unknown_topic_or_partition);
      continue;
    }
    committed_offset v{c.offset, c.leader_epoch, c.metadata.value_or(""), now};
    records.emplace_back(encode_key(offset_key{group_id, c.topic, c.partition}), encode_value(v));
    accepted.push_back({{c.topic, c.partition}, v});
    out.push_back(error_code::none);
  }
  if (!records.empty()) {
    if (!write(group_id, records)) {
      for (auto& e : out)
        if (e == error_code::none) e = error_code::coordinator_not_available;
      return out;
    }
    group& target = groups_[group_id];
    target.id = group_id;
    if (target.state_timestamp_ms == 0) target.state_timestamp_ms = now;
    for (auto& [k, v] : accepted) target.offsets[k] = v;
  }
  return out;
}

std::map<std::pair<std::string, int32_t>, committed_offset> group_coordinator::committed(
    const std::string& group_id) const {
  const group* g = find(group_id);
  if (g == nullptr) return {};
  return g->offsets;
}

std::vector<group_listing> group_coordinator::list() const {
  std::vector<group_listing> out;
  for (const auto& [id, g] : groups_) out.push_back({id, g.protocol_type, g.state});
  return out;
}

group_description group_coordinator::describe(const std::string& group_id) const {
  group_description d;
  d.group_id = group_id;
  if ((d.error = coordinator_error(group_id)) != error_code::none) return d;
  const group* g = find(group_id);
  if (g == nullptr) return d;  // Dead, as Kafka reports unknown groups
  d.state = g->state;
  d.protocol_type = g->protocol_type;
  if (g->state == group_state::stable) d.protocol = g->protocol.value_or("");
  for (const auto& [id, m] : g->members) {
    member_description md{id, m.instance_id, m.client_id, m.client_host, "", ""};
    if (g->state == group_state::stable && g->protocol) {
      if (const std::string* meta = m.metadata_for(*g->protocol)) md.metadata = *meta;
      md.assignment = m.assignment;
    }
    d.members.push_back(std::move(md));
  }
  return d;
}

error_code group_coordinator::remove_group(const std::string& group_id) {
  if (auto e = coordinator_error(group_id); e != error_code::none) return e;
  group* g = find(group_id);
  if (g == nullptr) return error_code::group_id_not_found;
  if (g->state != group_state::empty) return error_code::non_empty_group;
  std::vector<std::pair<std::string, std::optional<std::string>>> tombstones;
  for (const auto& [k, v] : g->offsets)
    tombstones.emplace_back(encode_key(offset_key{group_id, k.first, k.second}), std::nullopt);
  tombstones.emplace_back(encode_key(group_key{group_id}), std::nullopt);
  if (!write(group_id, tombstones)) return error_code::coordinator_not_available;
  groups_.erase(group_id);
  return error_code::none;
}

std::pair<error_code, std::vector<error_code>> group_coordinator::delete_offsets(
    const std::string& group_id, const std::vector<std::pair<std::string, int32_t>>& parts) {
  std::vector<error_code> per(parts.size(), error_code::none);
  if (auto e = coordinator_error(group_id); e != error_code::none) return {e, per};
  group* g = find(group_id);
  if (g == nullptr) return {error_code::group_id_not_found, per};
  // Topics the members subscribe to, from the consumer protocol's subscription (version,
  // topics...) — only readable for the "consumer" protocol type.
  std::set<std::string> subscribed;
  if (g->state != group_state::empty && g->protocol_type == "consumer" && g->protocol) {
    for (const auto& [id, m] : g->members) {
      const std::string* meta = m.metadata_for(*g->protocol);
      if (meta == nullptr) continue;
      try {
        protocol::byte_reader in(*meta);
        in.i16();
        const int32_t n = in.i32();
        for (int32_t i = 0; i < n; ++i) {
          const int16_t len = in.i16();
          subscribed.insert(std::string(in.take(static_cast<size_t>(len))));
        }
      } catch (const protocol::malformed_input&) {
      }
    }
  } else if (g->state != group_state::empty) {
    return {error_code::non_empty_group, per};
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> tombstones;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (subscribed.contains(parts[i].first)) {
      per[i] = error_code::group_subscribed_to_topic;
      continue;
    }
    if (g->offsets.erase(parts[i]) > 0)
      tombstones.emplace_back(encode_key(offset_key{group_id, parts[i].first, parts[i].second}),
                              std::nullopt);
  }
  if (!tombstones.empty() && !write(group_id, tombstones))
    return {error_code::coordinator_not_available, per};
  return {error_code::none, per};
}

// ---- timers ---------------------------------------------------------------------------

boost::asio::awaitable<void> group_coordinator::tick_loop() {
  while (!stopped_) {
    tick_timer_.expires_after(kTick);
    boost::system::error_code ec;
    co_await tick_timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (stopped_) co_return;
    tick();
  }
}

void group_coordinator::tick() {
  const auto now = clock::now();
  for (auto& [id, g] : groups_) {
    std::vector<std::string> expired;
    for (const auto& [mid, m] : g.members)
      if (!m.join_waiter && now > m.deadline) expired.push_back(mid);
    for (const auto& mid : expired) remove_member(g, mid, "session timeout expired");
    for (auto it = g.pending_members.begin(); it != g.pending_members.end();)
      it = now > it->second ? g.pending_members.erase(it) : std::next(it);
    maybe_complete_join(g);
  }
  if (now >= next_retention_check_) {
    expire_offsets(wall_ms());
    next_retention_check_ =
        now + std::chrono::milliseconds(config_.offsets_retention_check_interval_ms);
  }
}

void group_coordinator::expire_offsets(int64_t now_ms) {
  // As Kafka (2.1+): a group's offsets expire once it has been empty for the retention time.
  // For groups that never had members (consumers committing for partitions they assign
  // themselves) the last commit counts as activity.
  std::vector<std::string> expired;
  for (const auto& [id, g] : groups_) {
    if (g.state != group_state::empty || !g.members.empty()) continue;
    int64_t last_activity = g.state_timestamp_ms;
    for (const auto& [k, v] : g.offsets)
      last_activity = std::max(last_activity, v.commit_timestamp);
    if (now_ms - last_activity > config_.offsets_retention_ms) expired.push_back(id);
  }
  for (const auto& id : expired) {
    spdlog::info("group {}: offsets expired after {} ms empty", id, config_.offsets_retention_ms);
    remove_group(id);
  }
}

}  // namespace tern::group
