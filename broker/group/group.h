// One consumer group as the coordinator keeps it: members, generation, chosen protocol,
// committed offsets, and the Kafka group state machine
//   Empty -> PreparingRebalance -> CompletingRebalance -> Stable -> PreparingRebalance ...
// The broker never reads the assignment bytes: clients' assignors (eager or cooperative)
// decide who reads what.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/group/offsets_records.h"
#include "broker/protocol/error_code.h"
#include "common/asio.h"

namespace tern::group {

using clock = std::chrono::steady_clock;

enum class group_state { empty, preparing_rebalance, completing_rebalance, stable, dead };

std::string_view state_name(group_state s);

// A request parked until the group gets where it can be answered; wake() ends the wait.
class waiter {
 public:
  explicit waiter(boost::asio::any_io_executor ex)
      : timer_(ex, boost::asio::steady_timer::time_point::max()) {}
  void wake() {
    done_ = true;
    timer_.cancel();
  }
  boost::asio::awaitable<void> wait() {
    while (!done_) {
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }

 private:
  boost::asio::steady_timer timer_;
  bool done_ = false;
};

struct member_summary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;
};

struct join_result {
  protocol::error_code error = protocol::error_code::none;
  int32_t generation = -1;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<member_summary> members;  // only for the leader
  bool skip_assignment = false;         // a static leader rejoined a stable group (KIP-814)
};

struct sync_result {
  protocol::error_code error = protocol::error_code::none;
  std::string protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};

struct member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<std::pair<std::string, std::string>> protocols;  // name, metadata; by preference
  std::string assignment;
  clock::time_point deadline;  // session expiry, pushed forward by every request
  std::shared_ptr<waiter> join_waiter;
  std::shared_ptr<join_result> join_answer;
  std::shared_ptr<waiter> sync_waiter;
  std::shared_ptr<sync_result> sync_answer;

  const std::string* metadata_for(const std::string& protocol) const;
};

// A committed offset is exactly what its __consumer_offsets record holds.
using committed_offset = offset_value;

struct group {
  std::string id;
  group_state state = group_state::empty;
  int32_t generation = 0;
  std::string protocol_type;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  std::map<std::string, member> members;
  std::map<std::string, clock::time_point> pending_members;  // ids handed out, not yet joined
  std::map<std::string, std::string> static_members;         // instance id -> member id
  std::map<std::pair<std::string, int32_t>, committed_offset> offsets;
  clock::time_point rebalance_deadline;
  clock::time_point initial_delay_until;  // a new group waits this long for more members
  int64_t state_timestamp_ms = 0;         // when the group last changed state (wall clock)

  // A protocol every member supports, chosen by the members' preference votes.
  std::optional<std::string> select_protocol() const;
  // Whether a joining member's protocols fit the group's (type and one protocol in common).
  bool supports(const std::string& type,
                const std::vector<std::pair<std::string, std::string>>& protocols) const;
  bool all_members_joined() const;
  int32_t max_rebalance_timeout_ms() const;
};

}  // namespace tern::group
