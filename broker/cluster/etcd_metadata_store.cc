// Topics, cluster id and producer ids in etcd.
#include "broker/cluster/etcd_metadata_store.h"

namespace tern::cluster {

etcd_metadata_store::etcd_metadata_store(std::unique_ptr<etcd_client> client, std::string prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)) {}

std::expected<std::unique_ptr<etcd_metadata_store>, std::string> etcd_metadata_store::open(
    std::unique_ptr<etcd_client> client, const std::string& prefix) {
  std::unique_ptr<etcd_metadata_store> s(new etcd_metadata_store(std::move(client), prefix));
  const std::string key = prefix + "/cluster_id";
  // The first broker to start names the cluster; the others read the name it chose.
  auto created = s->client_->compare_and_put(key, 0, to_hex(random_uuid()));
  if (!created) return std::unexpected(created.error());
  auto id = s->client_->get(key);
  if (!id) return std::unexpected(id.error());
  if (!*id) return std::unexpected(key + " vanished right after it was written");
  s->cluster_id_ = (*id)->value;
  return s;
}

std::vector<topic_info> etcd_metadata_store::topics() const {
  std::vector<topic_info> out;
  auto range = client_->get_prefix(prefix_ + "/topics/");
  if (!range) return out;
  for (const auto& kv : range->kvs) {
    auto j = nlohmann::json::parse(kv.value, nullptr, false);
    if (auto t = topic_from_json(j)) {
      t->version = kv.mod_revision;
      out.push_back(std::move(*t));
    }
  }
  return out;
}

std::optional<topic_info> etcd_metadata_store::find_topic(const std::string& name) const {
  auto kv = client_->get(prefix_ + "/topics/" + name);
  if (!kv || !*kv) return std::nullopt;
  auto t = topic_from_json(nlohmann::json::parse((*kv)->value, nullptr, false));
  if (t) t->version = (*kv)->mod_revision;
  return t;
}

std::expected<bool, std::string> etcd_metadata_store::put_topic(const topic_info& topic) {
  return client_->compare_and_put(prefix_ + "/topics/" + topic.name, topic.version,
                                  topic_to_json(topic).dump());
}

std::expected<void, std::string> etcd_metadata_store::remove_topic(const std::string& name) {
  auto n = client_->remove(prefix_ + "/topics/" + name);
  if (!n) return std::unexpected(n.error());
  return {};
}

std::expected<int64_t, std::string> etcd_metadata_store::allocate_producer_ids(int64_t count) {
  const std::string key = prefix_ + "/next_producer_id";
  // Brokers race for blocks: read, then write the next value only if nobody moved it since.
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto kv = client_->get(key);
    if (!kv) return std::unexpected(kv.error());
    const int64_t first = *kv ? std::stoll((*kv)->value) : 0;
    const int64_t revision = *kv ? (*kv)->mod_revision : 0;
    auto won = client_->compare_and_put(key, revision, std::to_string(first + count));
    if (!won) return std::unexpected(won.error());
    if (*won) return first;
  }
  return std::unexpected("could not reserve producer ids: too much contention on " + key);
}

}  // namespace tern::cluster
