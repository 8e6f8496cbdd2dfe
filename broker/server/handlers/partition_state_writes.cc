// Compare-and-swap updates of partition state for the admin APIs.
#include "broker/server/handlers/partition_state_writes.h"

namespace tern::server::handlers {

using protocol::error_code;

boost::asio::awaitable<state_write_result> update_partition_state(broker& b,
                                                                  cluster::partition_ref ref,
                                                                  state_change change) {
  constexpr int kAttempts = 10;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto& view = b.replicas()->view();
    auto t = view.topics.find(ref.topic);
    if (t == view.topics.end() || ref.partition < 0 || ref.partition >= t->second.partitions)
      co_return state_write_result{error_code::unknown_topic_or_partition,
                                   "no such topic partition"};
    const auto* current = view.find(ref);
    if (current == nullptr)
      co_return state_write_result{error_code::leader_not_available,
                                   "the partition has no state yet"};
    const int64_t revision = view.revision;
    auto next = change(current->state);
    if (!next) co_return state_write_result{next.error(), ""};
    if (*next == current->state) co_return state_write_result{};
    // Named, not a temporary in the co_await expression: GCC 12 destroys such temporaries
    // twice.
    cluster::partition_write write{ref, current->mod_revision, *next, "admin request"};
    const bool written = co_await b.replicas()->write_state(std::move(write));
    if (written) {
      // Answer once this broker has seen its own write, so a following read agrees.
      co_await b.replicas()->await_view_after(revision, std::chrono::seconds(5));
      co_return state_write_result{};
    }
    co_await b.replicas()->await_view_after(revision, std::chrono::seconds(1));
  }
  co_return state_write_result{error_code::unknown_server_error,
                               "the partition state kept changing; try again"};
}

}  // namespace tern::server::handlers
