// Leader election: two electors on one Lease; a release hands over at once, a dead leader after
// the lease expires; a leader that cannot renew steps down.
#include "operator/k8s/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "operator/k8s/test_util.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::k8s {
namespace {

using namespace std::chrono_literals;
using testing::connect_to;
using testing::eventually;
using steady = std::chrono::steady_clock;

leader_elector::options short_options(const std::string& id) {
  leader_elector::options o;
  o.ns = "default";
  o.name = "tern-operator";
  o.identity = id;
  o.lease_duration = 2s;
  o.renew_deadline = 1s;
  o.retry_period = 200ms;
  return o;
}

struct candidate {
  candidate(client& c, leader_elector::options o) : elector(c, std::move(o)) {}
  void start() {
    thread = std::jthread([this](std::stop_token stop) {
      elector.run([this] { ++started; }, [this] { ++stopped; }, stop);
    });
  }
  void stop() {
    thread.request_stop();
    thread.join();
  }
  leader_elector elector;
  std::atomic<int> started{0}, stopped{0};
  std::jthread thread;
};

std::string holder(kube_double::kube_api_double& api) {
  auto lease = api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/tern-operator");
  if (!lease) return "<none>";
  return (*lease)["spec"].value("holderIdentity", "");
}

// Checks for `d` that never more than one leads.
bool at_most_one_leads(candidate& a, candidate& b, std::chrono::milliseconds d) {
  const auto until = steady::now() + d;
  while (steady::now() < until) {
    if (a.elector.is_leader() && b.elector.is_leader()) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(LeaderElection, OneLeadsAndReleaseHandsOverAtOnce) {
  kube_double::kube_api_double api;
  client c1(connect_to(api)), c2(connect_to(api));
  candidate a(c1, short_options("a")), b(c2, short_options("b"));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector.is_leader(); }, 5s));
  b.start();
  EXPECT_TRUE(at_most_one_leads(a, b, 1500ms));  // longer than renew_deadline
  EXPECT_TRUE(a.elector.is_leader());
  EXPECT_FALSE(b.elector.is_leader());
  EXPECT_EQ(holder(api), "a");
  EXPECT_EQ(a.started.load(), 1);
  EXPECT_EQ(b.started.load(), 0);

  const auto stopped_at = steady::now();
  a.stop();
  EXPECT_EQ(a.stopped.load(), 1);
  EXPECT_FALSE(a.elector.is_leader());
  ASSERT_TRUE(eventually([&] { return b.elector.is_leader(); }, 5s));
  // Released: no need to wait out the 2 s lease.
  EXPECT_LT(steady::now() - stopped_at, 1500ms);
  EXPECT_EQ(holder(api), "b");
  auto lease = api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/tern-operator");
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 2);
  EXPECT_EQ((*lease)["spec"]["renewTime"].get<std::string>().size(), 27u);  // microseconds
  b.stop();
  EXPECT_EQ(holder(api), "");
}

TEST(LeaderElection, StandbyTakesOverWhenLeaderDies) {
  kube_double::kube_api_double api;
  client c1(connect_to(api)), c2(connect_to(api));
  auto dying = short_options("a");
  dying.release_on_cancel = false;
  candidate a(c1, dying), b(c2, short_options("b"));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector.is_leader(); }, 5s));
  b.start();
  EXPECT_TRUE(at_most_one_leads(a, b, 500ms));
  const auto died_at = steady::now();
  a.stop();  // stops renewing and leaves the lease as it is
  EXPECT_EQ(holder(api), "a");
  ASSERT_TRUE(eventually([&] { return b.elector.is_leader(); }, 8s));
  // Not before the lease expired as b saw it (2 s after the last renewal it observed).
  EXPECT_GE(steady::now() - died_at, 1500ms);
  EXPECT_EQ(holder(api), "b");
  EXPECT_EQ(b.started.load(), 1);
}

TEST(LeaderElection, StepsDownWhenRenewalsFail) {
  kube_double::kube_api_double api;
  client c1(connect_to(api));
  candidate a(c1, short_options("a"));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector.is_leader(); }, 5s));
  for (int i = 0; i < 8; ++i) api.fail_next("PUT", "/leases/tern-operator", 500);
  ASSERT_TRUE(eventually([&] { return a.stopped.load() == 1; }, 5s));
  // Once the API answers again it leads again.
  ASSERT_TRUE(eventually([&] { return a.started.load() == 2 && a.elector.is_leader(); }, 5s));
  a.stop();
}

}  // namespace
}  // namespace tern::op::k8s
