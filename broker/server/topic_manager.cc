// Topic creation, deletion and changes.
#include "broker/server/topic_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace tern::server {

using protocol::error_code;

namespace {

constexpr size_t kMaxTopicNameLength = 249;

std::string collision_form(const std::string& name) {
  std::string s = name;
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

topic_result fail(error_code e, std::string message) {
  return {e, std::move(message)};
}

}  // namespace

topic_result validate_topic_name(const std::string& name) {
  if (name.empty()) return fail(error_code::invalid_topic_exception, "Topic name is empty");
  if (name == "." || name == "..")
    return fail(error_code::invalid_topic_exception, "Topic name cannot be \".\" or \"..\"");
  if (name.size() > kMaxTopicNameLength)
    return fail(error_code::invalid_topic_exception,
                "Topic name is longer than " + std::to_string(kMaxTopicNameLength) + " characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok)
      return fail(error_code::invalid_topic_exception,
                  "Topic name \"" + name +
                      "\" is illegal, it contains a character other than ASCII alphanumerics, "
                      "'.', '_' and '-'");
  }
  return {};
}

topic_manager::topic_manager(const broker_config& config, cluster::metadata_store& store,
                             storage::log_manager& logs)
    : config_(config), store_(store), logs_(logs) {}

std::map<std::string, std::string> topic_manager::effective_configs(
    const cluster::topic_info& t) const {
  std::map<std::string, std::string> out = config_.topic_defaults;
  for (const auto& [k, v] : t.configs) out[k] = v;
  return out;
}

void topic_manager::use_cluster(std::function<const cluster::cluster_view&()> view) {
  view_ = std::move(view);
}

std::expected<std::vector<std::vector<int32_t>>, topic_result> topic_manager::place(
    const std::string& name, int32_t from, int32_t total, int16_t rf) const {
  const auto& v = view_();
  std::vector<cluster::placement_broker> live;
  for (const auto& [id, b] : v.brokers)
    if (!v.draining.contains(id)) live.push_back({id, b.rack});
  if (rf > static_cast<int16_t>(live.size()))
    return std::unexpected(
        fail(error_code::invalid_replication_factor,
             "Replication factor: " + std::to_string(rf) +
                 " larger than available brokers: " + std::to_string(live.size()) + "."));
  // Topics start their rotation at different brokers so leaders spread across topics.
  const auto start = static_cast<uint32_t>(std::hash<std::string>{}(name));
  return cluster::place_replicas(live, from, total - from, rf, start);
}

std::vector<cluster::topic_info> topic_manager::topics() const {
  if (!view_) return store_.topics();
  std::vector<cluster::topic_info> out;
  for (const auto& [name, t] : view_().topics) out.push_back(t);
  return out;
}

topic_result topic_manager::open_partitions(const cluster::topic_info& t, int32_t from) {
  const auto cfg = storage::resolve_topic_config(config_.topic_defaults, t.configs);
  for (int32_t p = from; p < t.partitions; ++p) {
    auto l = logs_.open_log({t.name, p}, cfg);
    if (!l) return fail(error_code::unknown_server_error, l.error());
  }
  return {};
}

std::expected<void, std::string> topic_manager::load() {
  if (view_) return {};
  for (const auto& t : store_.topics()) {
    auto r = open_partitions(t, 0);
    if (!r.ok()) return std::unexpected("topic " + t.name + ": " + r.message);
  }
  return {};
}

topic_result topic_manager::create(const std::string& name, int32_t partitions,
                                   int16_t replication_factor,
                                   const std::map<std::string, std::string>& configs,
                                   bool validate_only,
                                   const std::vector<std::vector<int32_t>>& assignment) {
  if (auto v = validate_topic_name(name); !v.ok()) return v;
  if (store_.find_topic(name))
    return fail(error_code::topic_already_exists, "Topic '" + name + "' already exists.");
  for (const auto& t : store_.topics()) {
    // Created through another broker since find_topic().
    if (t.name == name)
      return fail(error_code::topic_already_exists, "Topic '" + name + "' already exists.");
    if (collision_form(t.name) == collision_form(name))
      return fail(error_code::invalid_topic_exception,
                  "Topic '" + name + "' collides with existing topic: " + t.name);
  }
  if (partitions == -1) partitions = config_.num_partitions;
  if (replication_factor == -1) replication_factor = config_.default_replication_factor;
  if (partitions < 1)
    return fail(error_code::invalid_partitions, "Number of partitions must be larger than 0.");
  if (replication_factor < 1)
    return fail(error_code::invalid_replication_factor,
                "Replication factor must be larger than 0.");
  std::vector<std::vector<int32_t>> placed = assignment;
  if (view_ && placed.empty()) {
    auto p = place(name, 0, partitions, replication_factor);
    if (!p) return p.error();
    placed = std::move(*p);
  } else if (!view_) {
    // Single-node mode has exactly one broker to place replicas on.
    constexpr int16_t kLiveBrokers = 1;
    if (replication_factor > kLiveBrokers)
      return fail(error_code::invalid_replication_factor,
                  "Replication factor: " + std::to_string(replication_factor) +
                      " larger than available brokers: " + std::to_string(kLiveBrokers) + ".");
  }
  for (const auto& [k, v] : configs)
    if (auto ok = storage::validate_topic_config(k, v); !ok)
      return fail(error_code::invalid_config, ok.error());
  if (validate_only) return {};

  cluster::topic_info t;
  t.name = name;
  t.id = cluster::random_uuid();
  t.partitions = partitions;
  t.replication_factor = replication_factor;
  t.configs = configs;
  t.assignment = placed;
  auto written = store_.put_topic(t);
  if (!written) return fail(error_code::unknown_server_error, written.error());
  // Created through another broker since the check above.
  if (!*written)
    return fail(error_code::topic_already_exists, "Topic '" + name + "' already exists.");
  spdlog::info("created topic {} with {} partitions", name, partitions);
  if (view_) return {};
  return open_partitions(t, 0);
}

topic_result topic_manager::remove(const std::string& name) {
  if (!config_.delete_topic_enable)
    return fail(error_code::topic_authorization_failed, "Topic deletion is disabled.");
  if (!store_.find_topic(name))
    return fail(error_code::unknown_topic_or_partition,
                "This server does not host this topic-partition.");
  if (auto s = store_.remove_topic(name); !s)
    return fail(error_code::unknown_server_error, s.error());
  if (!view_) logs_.remove_topic(name);
  spdlog::info("deleted topic {}", name);
  return {};
}

std::expected<cluster::topic_info, topic_result> topic_manager::update_stored(
    const std::string& name,
    const std::function<std::optional<topic_result>(cluster::topic_info&)>& edit) {
  constexpr int kAttempts = 5;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    auto t = store_.find_topic(name);
    if (!t)
      return std::unexpected(
          fail(error_code::unknown_topic_or_partition, "Topic '" + name + "' does not exist."));
    if (auto answer = edit(*t)) return std::unexpected(std::move(*answer));
    auto written = store_.put_topic(*t);
    if (!written) return std::unexpected(fail(error_code::unknown_server_error, written.error()));
    if (*written) return std::move(*t);
  }
  return std::unexpected(
      fail(error_code::unknown_server_error,
           "Topic '" + name + "' kept changing through other brokers; try again."));
}

topic_result topic_manager::add_partitions(const std::string& name, int32_t total,
                                           bool validate_only,
                                           const std::vector<std::vector<int32_t>>& assignment) {
  int32_t before = 0;
  auto written = update_stored(name, [&](cluster::topic_info& t) -> std::optional<topic_result> {
    if (total <= t.partitions)
      return fail(error_code::invalid_partitions,
                  "Topic currently has " + std::to_string(t.partitions) +
                      " partitions, which is higher than the requested " + std::to_string(total) +
                      ".");
    if (!assignment.empty() && static_cast<int32_t>(assignment.size()) != total - t.partitions)
      return fail(error_code::invalid_replica_assignment,
                  "Increasing the number of partitions by " + std::to_string(total - t.partitions) +
                      " but " + std::to_string(assignment.size()) + " assignments provided.");
    if (view_) {
      auto p = assignment.empty()
                   ? place(name, t.partitions, total, t.replication_factor)
                   : std::expected<std::vector<std::vector<int32_t>>, topic_result>(assignment);
      if (!p) return p.error();
      if (validate_only) return topic_result{};
      // Partitions created before assignments were recorded keep an empty list; the controller
      // places those itself.
      if (static_cast<int32_t>(t.assignment.size()) == t.partitions)
        t.assignment.insert(t.assignment.end(), p->begin(), p->end());
    }
    if (validate_only) return topic_result{};
    before = t.partitions;
    t.partitions = total;
    return std::nullopt;
  });
  if (!written) return written.error();
  if (view_) return {};
  return open_partitions(*written, before);
}

topic_result topic_manager::alter_configs(const std::string& name,
                                          const std::vector<config_change>& changes,
                                          bool incremental, bool validate_only) {
  auto written = update_stored(name, [&](cluster::topic_info& t) -> std::optional<topic_result> {
    std::map<std::string, std::string> next =
        incremental ? t.configs : std::map<std::string, std::string>{};
    for (const auto& c : changes) {
      if (!storage::find_topic_config_def(c.name))
        return fail(error_code::invalid_config, "Unknown topic config name: " + c.name);
      switch (c.op) {
        case config_op::set:
          if (!c.value) return fail(error_code::invalid_config, "Null value for " + c.name);
          next[c.name] = *c.value;
          break;
        case config_op::remove:
          next.erase(c.name);
          break;
        case config_op::append:
        case config_op::subtract: {
          if (storage::find_topic_config_def(c.name)->kind != storage::config_kind::list)
            return fail(error_code::invalid_config,
                        "Config value append/subtract is only allowed for lists: " + c.name);
          std::string current = next.contains(c.name) ? next[c.name] : effective_configs(t)[c.name];
          std::vector<std::string> items;
          std::stringstream in(current);
          for (std::string s; std::getline(in, s, ',');)
            if (!s.empty()) items.push_back(s);
          std::stringstream add(c.value.value_or(""));
          for (std::string s; std::getline(add, s, ',');) {
            auto it = std::find(items.begin(), items.end(), s);
            if (c.op == config_op::append && it == items.end()) items.push_back(s);
            if (c.op == config_op::subtract && it != items.end()) items.erase(it);
          }
          std::string joined;
          for (const auto& s : items) joined += (joined.empty() ? "" : ",") + s;
          next[c.name] = joined;
          break;
        }
      }
    }
    for (const auto& [k, v] : next)
      if (auto ok = storage::validate_topic_config(k, v); !ok)
        return fail(error_code::invalid_config, ok.error());
    if (validate_only) return topic_result{};
    t.configs = std::move(next);
    return std::nullopt;
  });
  if (!written) return written.error();
  const auto cfg = storage::resolve_topic_config(config_.topic_defaults, written->configs);
  for (int32_t p = 0; p < written->partitions; ++p)
    if (auto* l = logs_.find({name, p})) l->set_config(cfg);
  return {};
}

std::optional<cluster::topic_info> topic_manager::find(const std::string& name) const {
  if (view_) {
    const auto& topics = view_().topics;
    auto it = topics.find(name);
    if (it == topics.end()) return std::nullopt;
    return it->second;
  }
  return store_.find_topic(name);
}

std::optional<cluster::topic_info> topic_manager::find_by_id(const cluster::topic_id& id) const {
  for (const auto& t : topics())
    if (t.id == id) return t;
  return std::nullopt;
}

storage::log* topic_manager::partition_log(const std::string& topic, int32_t partition) const {
  return logs_.find({topic, partition});
}

}  // namespace tern::server
