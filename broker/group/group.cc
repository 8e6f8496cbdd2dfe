// Group state helpers: protocol selection and membership checks.
#include "broker/group/group.h"

#include <algorithm>

namespace tern::group {

std::string_view state_name(group_state s) {
  switch (s) {
    case group_state::empty:
      return "Empty";
    case group_state::preparing_rebalance:
      return "PreparingRebalance";
    case group_state::completing_rebalance:
      return "CompletingRebalance";
    case group_state::stable:
      return "Stable";
    case group_state::dead:
      return "Dead";
  }
  return "Unknown";
}

const std::string* member::metadata_for(const std::string& protocol) const {
  for (const auto& [name, metadata] : protocols)
    if (name == protocol) return &metadata;
  return nullptr;
}

std::optional<std::string> group::select_protocol() const {
  if (members.empty()) return std::nullopt;
  // Candidates: protocols every member supports, in the first member's order.
  std::vector<std::string> candidates;
  for (const auto& [name, metadata] : members.begin()->second.protocols) {
    bool everyone = true;
    for (const auto& [id, m] : members) everyone = everyone && m.metadata_for(name) != nullptr;
    if (everyone) candidates.push_back(name);
  }
  if (candidates.empty()) return std::nullopt;
  // Each member votes for the candidate it prefers most; the most votes win.
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members) {
    for (const auto& [name, metadata] : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
        ++votes[name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const auto& c : candidates)
    if (votes[c] > votes[best]) best = c;
  return best;
}

bool group::supports(const std::string& type,
                     const std::vector<std::pair<std::string, std::string>>& protos) const {
  if (protos.empty() || type.empty()) return false;
  if (members.empty()) return true;
  if (type != protocol_type) return false;
  for (const auto& [name, metadata] : protos) {
    bool everyone = true;
    for (const auto& [id, m] : members) everyone = everyone && m.metadata_for(name) != nullptr;
    if (everyone) return true;
  }
  return false;
}

bool group::all_members_joined() const {
  if (!pending_members.empty()) return false;
  for (const auto& [id, m] : members)
    if (!m.join_waiter) return false;
  return true;
}

int32_t group::max_rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [id, m] : members) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

}  // namespace tern::group
