// The etcd client against a real etcd (Debian's etcd-server) started on free loopback ports
// with its data in a temporary folder, and stopped by PID.
#include "broker/cluster/etcd_client.h"
#include "broker/cluster/cluster_agent.h"
#include "broker/cluster/etcd_metadata_store.h"
#include "broker/cluster/etcd_watch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

extern char** environ;

namespace tern::cluster {
namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class EtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("tern-etcd-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    const std::string client = "http://127.0.0.1:" + std::to_string(free_port());
    const std::string peer = "http://127.0.0.1:" + std::to_string(free_port());
    endpoint_ = client.substr(7);
    std::vector<std::string> args = {"etcd",
                                     "--name=tern-test",
                                     "--data-dir=" + (dir_ / "data").string(),
                                     "--listen-client-urls=" + client,
                                     "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=tern-test=" + peer,
                                     "--logger=zap",
                                     "--log-outputs=" + (dir_ / "etcd.log").string()};
    std::filesystem::create_directories(dir_);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(::posix_spawnp(&pid_, "etcd", nullptr, nullptr, argv.data(), environ), 0)
        << "etcd-server must be installed (scripts/install-deps.sh)";
    for (int i = 0; i < 200 && !client_; ++i) {
      if (auto c = etcd_client::connect(endpoint_, std::chrono::milliseconds(500)))
        client_ = std::move(*c);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(client_) << "etcd did not come up on " << endpoint_;
  }
  static void TearDownTestSuite() {
    client_.reset();
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  static inline pid_t pid_ = -1;
  static inline std::filesystem::path dir_;
  static inline std::string endpoint_;
  static inline std::unique_ptr<etcd_client> client_;
};

TEST_F(EtcdTest, PutGetRemoveWithBinarySafeValues) {
  const std::string value("bytes\0with\xffnul", 14);
  auto rev = client_->put("/tern/t1/a", value);
  ASSERT_TRUE(rev) << rev.error();
  auto got = client_->get("/tern/t1/a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, value);
  EXPECT_EQ((*got)->mod_revision, *rev);
  ASSERT_TRUE(client_->put("/tern/t1/b", "2"));
  ASSERT_TRUE(client_->put("/tern/t10", "not under the prefix /tern/t1/"));
  auto range = client_->get_prefix("/tern/t1/");
  ASSERT_TRUE(range);
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[1].key, "/tern/t1/b");
  EXPECT_EQ(*client_->remove("/tern/t1/a"), 1);
  EXPECT_FALSE(*client_->get("/tern/t1/a"));
}

TEST_F(EtcdTest, CompareAndPutWinsOnlyAgainstTheExpectedRevision) {
  EXPECT_TRUE(*client_->compare_and_put("/tern/cas", 0, "first"));   // must not exist yet
  EXPECT_FALSE(*client_->compare_and_put("/tern/cas", 0, "again"));  // now it does
  const auto kv = **client_->get("/tern/cas");
  EXPECT_TRUE(*client_->compare_and_put("/tern/cas", kv.mod_revision, "second"));
  EXPECT_FALSE(*client_->compare_and_put("/tern/cas", kv.mod_revision, "stale writer"));
  EXPECT_EQ((**client_->get("/tern/cas")).value, "second");
}

TEST_F(EtcdTest, KeysGoWithTheirLease) {
  auto lease = client_->grant_lease(std::chrono::seconds(2));
  ASSERT_TRUE(lease) << lease.error();
  ASSERT_TRUE(client_->put("/tern/brokers/1", "alive", *lease));
  auto ttl = client_->keep_alive(*lease);
  ASSERT_TRUE(ttl) << ttl.error();
  EXPECT_GT(*ttl, 0);
  EXPECT_EQ((**client_->get("/tern/brokers/1")).lease, *lease);
  // Without keep-alives the lease ends and takes the key along.
  bool gone = false;
  for (int i = 0; i < 80 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = !*client_->get("/tern/brokers/1");
  }
  EXPECT_TRUE(gone);
  EXPECT_FALSE(client_->keep_alive(*lease));
  auto second = client_->grant_lease(std::chrono::seconds(5));
  ASSERT_TRUE(second);
  ASSERT_TRUE(client_->put("/tern/brokers/2", "alive", *second));
  ASSERT_TRUE(client_->revoke(*second));
  EXPECT_FALSE(*client_->get("/tern/brokers/2"));
}

TEST_F(EtcdTest, MetadataStoreSharesTopicsAndHandsOutDisjointProducerIds) {
  auto first = etcd_metadata_store::open(*etcd_client::connect(endpoint_), "/tern-ms");
  ASSERT_TRUE(first) << first.error();
  auto second = etcd_metadata_store::open(*etcd_client::connect(endpoint_), "/tern-ms");
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ((*first)->cluster_id(), (*second)->cluster_id());  // one cluster, one name
  EXPECT_EQ((*first)->cluster_id().size(), 32u);
  topic_info t;
  t.name = "orders";
  t.id = random_uuid();
  t.partitions = 3;
  t.configs = {{"retention.ms", "1000"}};
  ASSERT_EQ((*first)->put_topic(t), true);
  // Created through the other store meanwhile: the creation loses.
  EXPECT_EQ((*second)->put_topic(t), false);
  auto seen = (*second)->find_topic("orders");
  ASSERT_TRUE(seen);
  EXPECT_GT(seen->version, 0);
  // An update from a stale read loses against the one made since.
  auto stale = *(*first)->find_topic("orders");
  seen->partitions = 4;
  ASSERT_EQ((*second)->put_topic(*seen), true);
  stale.configs["retention.ms"] = "2000";
  EXPECT_EQ((*first)->put_topic(stale), false);
  seen = (*second)->find_topic("orders");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->partitions, 4);
  EXPECT_EQ(seen->id, t.id);
  EXPECT_EQ(seen->configs.at("retention.ms"), "1000");
  EXPECT_EQ((*second)->topics().size(), 1u);
  ASSERT_TRUE((*second)->remove_topic("orders"));
  EXPECT_FALSE((*first)->find_topic("orders"));
  const int64_t a = *(*first)->allocate_producer_ids(1000);
  const int64_t b = *(*second)->allocate_producer_ids(1000);
  EXPECT_GE(std::max(a, b) - std::min(a, b), 1000);
}

// A broker reported gone (its address refusing connections) loses its session at once, but
// only the process that was reported: a restarted one registered since keeps its own.
TEST_F(EtcdTest, ReportedRefusalEndsOnlyTheReportedProcessSession) {
  auto agent = [](int32_t id, std::string incarnation) {
    agent_settings s;
    s.endpoints = endpoint_;
    s.keys.prefix = "/tern-refused";
    s.self = {id, "127.0.0.1", 9000 + id, "", "", std::move(incarnation)};
    s.session_timeout = std::chrono::seconds(30);  // no expiry during the test
    auto a = cluster_agent::start(std::move(s), [](cluster_agent::view_ptr) {});
    EXPECT_TRUE(a) << (a ? "" : a.error());
    return a ? std::move(*a) : nullptr;
  };
  auto reporter = agent(1, "reporter");
  auto reported = agent(2, "second-process");
  ASSERT_TRUE(reporter && reported);
  const std::string key = "/tern-refused/brokers/2";
  auto lease = [&] {
    auto kv = client_->get(key).value_or(std::nullopt);
    return kv ? kv->lease : 0;
  };
  const int64_t first_lease = lease();
  ASSERT_NE(first_lease, 0);

  reporter->report_refused(2, "first-process");          // an earlier process of node 2
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the agent acts within milliseconds
  EXPECT_EQ(lease(), first_lease);
  reporter->report_refused(2, "second-process");
  // The session ends (the live process here then registers again, under a new lease).
  bool ended = false;
  for (int i = 0; i < 50 && !ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ended = lease() != first_lease;
  }
  EXPECT_TRUE(ended);
}

TEST_F(EtcdTest, WatchSignalsChangesUnderItsPrefixOnly) {
  std::atomic<int> signals{0};
  auto wait_for = [](auto done) {
    for (int i = 0; i < 100 && !done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  // Stopped (destroyed) with its stream open at the end of the test.
  etcd_watch watch(endpoint_, "/tern-watch/", [&] { ++signals; });
  ASSERT_TRUE(wait_for([&] { return watch.streams() == 1; }));
  const int at_start = signals.load();
  EXPECT_EQ(at_start, 1);  // a new stream signals, for what changed while none was open

  ASSERT_TRUE(client_->put("/tern-watch-other", "outside the prefix"));
  ASSERT_TRUE(client_->put("/tern-watch/a", "inside"));
  ASSERT_TRUE(wait_for([&] { return signals.load() > at_start; }));
  // Events come in revision order: had the outside key counted, it would have come first.
  EXPECT_EQ(signals.load(), at_start + 1);
  ASSERT_TRUE(client_->remove("/tern-watch/a"));
  EXPECT_TRUE(wait_for([&] { return signals.load() == at_start + 2; }));
}

TEST(EtcdWatch, UnreachableEtcdKeepsRetryingAndStopsWhenAsked) {
  std::atomic<int> signals{0};
  {
    etcd_watch watch("127.0.0.1:" + std::to_string(free_port()), "/x/", [&] { ++signals; });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // a retry or two
    EXPECT_EQ(watch.streams(), 0);
  }
  EXPECT_EQ(signals.load(), 0);
}

TEST(EtcdClient, UnreachableEndpointsAreAnErrorNotAHang) {
  const auto started = std::chrono::steady_clock::now();
  auto c = etcd_client::connect("127.0.0.1:" + std::to_string(free_port()),
                                std::chrono::milliseconds(500));
  EXPECT_FALSE(c);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_FALSE(etcd_client::connect(""));
}

}  // namespace
}  // namespace tern::cluster
