// A small client for etcd's v3 JSON/HTTP gateway (keys and values base64 in JSON bodies):
// key-value reads and writes, compare-and-swap transactions and leases. Calls block until
// etcd answers, so cluster code runs them off the broker's I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern::cluster {

struct etcd_kv {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct etcd_range {
  std::vector<etcd_kv> kvs;
  int64_t revision = 0;  // the store's revision when read
};

class etcd_client {
 public:
  // `endpoints`: "host:port[,host:port...]"; requests go to the first that answers.
  static std::expected<std::unique_ptr<etcd_client>, std::string> connect(
      const std::string& endpoints, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~etcd_client();

  std::expected<int64_t, std::string> put(const std::string& key, const std::string& value,
                                          int64_t lease = 0);
  std::expected<std::optional<etcd_kv>, std::string> get(const std::string& key);
  std::expected<etcd_range, std::string> get_prefix(const std::string& prefix);
  std::expected<int64_t, std::string> remove(const std::string& key);  // keys deleted

  // Writes `value` only if `key`'s mod_revision is still `expected_mod_revision` (0: the key
  // must not exist). Returns whether it was written.
  std::expected<bool, std::string> compare_and_put(const std::string& key,
                                                   int64_t expected_mod_revision,
                                                   const std::string& value, int64_t lease = 0);

  // Deletes `key` only if its mod_revision is still `expected_mod_revision`.
  std::expected<bool, std::string> compare_and_delete(const std::string& key,
                                                      int64_t expected_mod_revision);
  // The store's current revision: it changes with every write, so polling it is a cheap way to
  // learn whether anything needs reading again.
  std::expected<int64_t, std::string> revision();

  // A lease that expires `ttl` after its last keep-alive; keys put with it go with it.
  std::expected<int64_t, std::string> grant_lease(std::chrono::seconds ttl);
  // Returns the remaining TTL in seconds; an error when the lease has expired.
  std::expected<int64_t, std::string> keep_alive(int64_t lease);
  std::expected<void, std::string> revoke(int64_t lease);

 private:
  struct impl;
  explicit etcd_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tern::cluster
