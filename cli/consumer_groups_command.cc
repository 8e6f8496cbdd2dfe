// `tern consumer-groups`: list, describe, reset offsets of and delete consumer groups
// (kafka-consumer-groups.sh), with Kafka's flags and table layouts.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/commands.h"
#include "cli/kafka_client.h"

namespace tern::cli {

namespace {

struct groups_options {
  std::string bootstrap = "localhost:9092";
  bool list = false, describe = false, reset = false, remove = false;
  std::vector<std::string> groups;
  bool all_groups = false;
  std::vector<std::string> topics;
  bool all_topics = false;
  bool members = false, state = false, offsets = false, verbose = false;
  bool to_earliest = false, to_latest = false;
  std::optional<int64_t> to_offset;
  std::optional<int64_t> shift_by;
  bool dry_run = false, execute = false;
  std::string command_config;
  int timeout_ms = 30000;
};

struct partition_row {
  std::string topic;
  int32_t partition;
  int64_t current = -1;  // committed, -1 if none
  int64_t log_end = -1;
  std::string consumer_id = "-", host = "-", client_id = "-";
};

struct member_info {
  std::string consumer_id, host, client_id, instance_id;
  std::vector<std::pair<std::string, int32_t>> partitions;
};

struct group_info {
  std::string id;
  std::string state;
  std::string assignor;
  int coordinator = -1;
  std::string coordinator_host;
  std::vector<member_info> members;
};

using topic_partitions = std::vector<std::pair<std::string, int32_t>>;

std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size() + 1);
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) line += pad(row[i], widths[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

std::vector<std::string> list_groups(rd_kafka_t* rk, rd_kafka_queue_t* q, int timeout_ms) {
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
  rd_kafka_ListConsumerGroups(rk, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_event_t* ev = await_admin_result(q, timeout_ms);
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev);
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(result, &n);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
  size_t errors = 0;
  const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(result, &errors);
  for (size_t i = 0; i < errors; ++i)
    std::fprintf(stderr, "tern: %s\n", rd_kafka_error_string(errs[i]));
  rd_kafka_event_destroy(ev);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<group_info> describe_group(rd_kafka_t* rk, rd_kafka_queue_t* q, const std::string& id,
                                         int timeout_ms) {
  const char* ids[] = {id.c_str()};
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
  rd_kafka_DescribeConsumerGroups(rk, ids, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_event_t* ev = await_admin_result(q, timeout_ms);
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
  std::optional<group_info> out;
  if (n == 1) {
    const auto* g = groups[0];
    if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g)) {
      std::fprintf(stderr, "tern: %s\n", rd_kafka_error_string(e));
    } else {
      group_info info;
      info.id = id;
      info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
      const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(g);
      info.assignor = assignor ? assignor : "";
      if (const rd_kafka_Node_t* c = rd_kafka_ConsumerGroupDescription_coordinator(g)) {
        info.coordinator = rd_kafka_Node_id(c);
        info.coordinator_host =
            std::string(rd_kafka_Node_host(c)) + ":" + std::to_string(rd_kafka_Node_port(c));
      }
      for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(g); ++i) {
        const auto* m = rd_kafka_ConsumerGroupDescription_member(g, i);
        member_info mi;
        mi.consumer_id = rd_kafka_MemberDescription_consumer_id(m);
        mi.host = rd_kafka_MemberDescription_host(m);
        mi.client_id = rd_kafka_MemberDescription_client_id(m);
        const char* inst = rd_kafka_MemberDescription_group_instance_id(m);
        mi.instance_id = inst ? inst : "";
        const auto* parts =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        for (int k = 0; parts && k < parts->cnt; ++k)
          mi.partitions.emplace_back(parts->elems[k].topic, parts->elems[k].partition);
        info.members.push_back(std::move(mi));
      }
      out = std::move(info);
    }
  }
  rd_kafka_event_destroy(ev);
  return out;
}

// Committed offsets of a group: all of them (partitions == nullptr) or the given ones.
std::map<std::pair<std::string, int32_t>, int64_t> committed_offsets(rd_kafka_t* rk,
                                                                     rd_kafka_queue_t* q,
                                                                     const std::string& id,
                                                                     int timeout_ms) {
  rd_kafka_ListConsumerGroupOffsets_t* req =
      rd_kafka_ListConsumerGroupOffsets_new(id.c_str(), nullptr);
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
  rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  rd_kafka_event_t* ev = await_admin_result(q, timeout_ms);
  size_t n = 0;
  const rd_kafka_group_result_t** results = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
      std::string why = rd_kafka_error_string(e);
      rd_kafka_event_destroy(ev);
      die("cannot read offsets of group " + id + ": " + why);
    }
    const auto* parts = rd_kafka_group_result_partitions(results[i]);
    for (int k = 0; parts && k < parts->cnt; ++k)
      if (parts->elems[k].offset >= 0)
        out[{parts->elems[k].topic, parts->elems[k].partition}] = parts->elems[k].offset;
  }
  rd_kafka_event_destroy(ev);
  return out;
}

std::pair<int64_t, int64_t> watermarks(rd_kafka_t* rk, const std::string& topic, int32_t p,
                                       int timeout_ms) {
  int64_t low = -1, high = -1;
  auto e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    die("cannot read offsets of " + topic + "-" + std::to_string(p) + ": " + rd_kafka_err2str(e));
  return {low, high};
}

int describe(rd_kafka_t* rk, rd_kafka_queue_t* q, const groups_options& o, const std::string& id) {
  auto g = describe_group(rk, q, id, o.timeout_ms);
  if (!g) return 1;
  if (g->state == "Dead") {
    std::fprintf(stderr, "Error: Consumer group '%s' does not exist.\n", id.c_str());
    return 1;
  }
  if (o.state) {
    print_table({{"GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"},
                 {id, g->coordinator_host + " (" + std::to_string(g->coordinator) + ")",
                  g->assignor, g->state, std::to_string(g->members.size())}});
    return 0;
  }
  if (g->members.empty() && g->state != "Stable")
    std::printf("\nConsumer group '%s' has no active members.\n", id.c_str());
  if (o.members) {
    std::vector<std::vector<std::string>> rows = {
        {"GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"}};
    if (o.verbose) rows[0].push_back("ASSIGNMENT");
    for (const auto& m : g->members) {
      rows.push_back({id, m.consumer_id, m.host, m.client_id, std::to_string(m.partitions.size())});
      if (o.verbose) {
        std::map<std::string, std::vector<int32_t>> by_topic;
        for (const auto& [t, p] : m.partitions) by_topic[t].push_back(p);
        std::string assignment;
        for (auto& [t, ps] : by_topic) {
          std::sort(ps.begin(), ps.end());
          std::string list;
          for (int32_t p : ps) list += (list.empty() ? "" : ",") + std::to_string(p);
          assignment += (assignment.empty() ? "" : ",") + t + "(" + list + ")";
        }
        rows.back().push_back(assignment.empty() ? "-" : assignment);
      }
    }
    std::printf("\n");
    print_table(rows);
    return 0;
  }
  // Offsets view: every partition with a committed offset or an owner.
  std::map<std::pair<std::string, int32_t>, partition_row> rows_by_partition;
  for (const auto& [tp, offset] : committed_offsets(rk, q, id, o.timeout_ms)) {
    auto& r = rows_by_partition[tp];
    r.topic = tp.first;
    r.partition = tp.second;
    r.current = offset;
  }
  for (const auto& m : g->members)
    for (const auto& tp : m.partitions) {
      auto& r = rows_by_partition[tp];
      r.topic = tp.first;
      r.partition = tp.second;
      r.consumer_id = m.consumer_id;
      r.host = m.host;
      r.client_id = m.client_id;
    }
  std::vector<std::vector<std::string>> rows = {{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                                 "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
                                                 "CLIENT-ID"}};
  for (auto& [tp, r] : rows_by_partition) {
    r.log_end = watermarks(rk, r.topic, r.partition, o.timeout_ms).second;
    const bool has = r.current >= 0;
    rows.push_back({id, r.topic, std::to_string(r.partition), has ? std::to_string(r.current) : "-",
                    std::to_string(r.log_end),
                    has ? std::to_string(std::max<int64_t>(0, r.log_end - r.current)) : "-",
                    r.consumer_id, r.host, r.client_id});
  }
  std::printf("\n");
  print_table(rows);
  return 0;
}

// "topic" or "topic:0,1,2" as in Kafka's --topic for resets.
topic_partitions reset_targets(rd_kafka_t* rk, const groups_options& o,
                               const std::map<std::pair<std::string, int32_t>, int64_t>& current) {
  topic_partitions out;
  if (o.all_topics) {
    for (const auto& [tp, off] : current) out.push_back(tp);
    return out;
  }
  for (const auto& spec : o.topics) {
    const size_t colon = spec.find(':');
    const std::string topic = spec.substr(0, colon);
    if (colon == std::string::npos) {
      const int n = partition_count(rk, topic, o.timeout_ms);
      for (int p = 0; p < n; ++p) out.emplace_back(topic, p);
      continue;
    }
    std::string list = spec.substr(colon + 1);
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = list.find(',', start);
      const std::string item = list.substr(start, comma - start);
      try {
        out.emplace_back(topic, std::stoi(item));
      } catch (...) {
        die("bad partition '" + item + "' in --topic " + spec);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

int reset(rd_kafka_t* rk, rd_kafka_queue_t* q, const groups_options& o, const std::string& id) {
  const int scenarios =
      o.to_earliest + o.to_latest + o.to_offset.has_value() + o.shift_by.has_value();
  if (scenarios != 1)
    die("exactly one of --to-earliest, --to-latest, --to-offset or --shift-by is required");
  if (o.topics.empty() && !o.all_topics) die("--topic or --all-topics is required");
  if (!o.dry_run && !o.execute)
    die("one of --dry-run or --execute is required (nothing is changed without --execute)");
  auto g = describe_group(rk, q, id, o.timeout_ms);
  if (g && !g->members.empty())
    die("Assignments can only be reset if the group '" + id +
        "' is inactive, but the current state is " + g->state + ".");
  const auto current = committed_offsets(rk, q, id, o.timeout_ms);
  std::vector<std::tuple<std::string, int32_t, int64_t>> plan;
  for (const auto& [topic, p] : reset_targets(rk, o, current)) {
    const auto [low, high] = watermarks(rk, topic, p, o.timeout_ms);
    int64_t target = 0;
    if (o.to_earliest) target = low;
    if (o.to_latest) target = high;
    if (o.to_offset) target = *o.to_offset;
    if (o.shift_by) {
      auto it = current.find({topic, p});
      target = (it == current.end() ? low : it->second) + *o.shift_by;
    }
    plan.emplace_back(topic, p, std::clamp(target, low, high));  // as Kafka: within the log
  }
  std::vector<std::vector<std::string>> rows = {{"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"}};
  for (const auto& [t, p, off] : plan)
    rows.push_back({id, t, std::to_string(p), std::to_string(off)});
  std::printf("\n");
  print_table(rows);
  if (o.dry_run) return 0;
  rd_kafka_topic_partition_list_t* parts =
      rd_kafka_topic_partition_list_new(static_cast<int>(plan.size()));
  for (const auto& [t, p, off] : plan)
    rd_kafka_topic_partition_list_add(parts, t.c_str(), p)->offset = off;
  rd_kafka_AlterConsumerGroupOffsets_t* req =
      rd_kafka_AlterConsumerGroupOffsets_new(id.c_str(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, o.timeout_ms);
  rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
  size_t n = 0;
  const rd_kafka_group_result_t** results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
      rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
      std::fprintf(stderr, "Error: %s\n", rd_kafka_error_string(e));
      status = 1;
    }
    const auto* ps = rd_kafka_group_result_partitions(results[i]);
    for (int k = 0; ps && k < ps->cnt; ++k)
      if (ps->elems[k].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "Error: %s-%d: %s\n", ps->elems[k].topic, ps->elems[k].partition,
                     rd_kafka_err2str(ps->elems[k].err));
        status = 1;
      }
  }
  rd_kafka_event_destroy(ev);
  return status;
}

int remove(rd_kafka_t* rk, rd_kafka_queue_t* q, const groups_options& o) {
  std::vector<rd_kafka_DeleteGroup_t*> del;
  for (const auto& g : o.groups) del.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
  auto* opts = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETEGROUPS, o.timeout_ms);
  rd_kafka_DeleteGroups(rk, del.data(), del.size(), opts, q);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_DeleteGroup_destroy_array(del.data(), del.size());
  rd_kafka_event_t* ev = await_admin_result(q, o.timeout_ms);
  size_t n = 0;
  const rd_kafka_group_result_t** results =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
  std::vector<std::string> deleted;
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) {
      std::fprintf(stderr, "Error: Deletion of group '%s' failed: %s\n",
                   rd_kafka_group_result_name(results[i]), rd_kafka_error_string(e));
      status = 1;
    } else {
      deleted.emplace_back(rd_kafka_group_result_name(results[i]));
    }
  }
  rd_kafka_event_destroy(ev);
  if (!deleted.empty()) {
    std::string names;
    for (const auto& d : deleted) names += (names.empty() ? "'" : ", '") + d + "'";
    std::printf("Deletion of requested consumer groups (%s) was successful.\n", names.c_str());
  }
  return status;
}

}  // namespace

std::function<int()> add_consumer_groups_command(CLI::App& app) {
  auto o = std::make_shared<groups_options>();
  CLI::App* sub = app.add_subcommand("consumer-groups", "List, describe, reset and delete groups");
  sub->add_option("--bootstrap-server", o->bootstrap, "host:port of a broker")->required();
  sub->add_flag("--list", o->list, "List groups");
  sub->add_flag("--describe", o->describe, "Describe groups: offsets and lag per partition");
  sub->add_flag("--reset-offsets", o->reset, "Move a group's committed offsets");
  sub->add_flag("--delete", o->remove, "Delete groups and their offsets");
  sub->add_option("--group", o->groups, "Group id (repeatable)");
  sub->add_flag("--all-groups", o->all_groups, "Every group");
  sub->add_option("--topic", o->topics, "Topic, or topic:p1,p2 (reset; repeatable)");
  sub->add_flag("--all-topics", o->all_topics, "Every topic the group has offsets for (reset)");
  sub->add_flag("--members", o->members, "With --describe: members and their partitions");
  sub->add_flag("--state", o->state, "With --describe: state, coordinator and assignor");
  sub->add_flag("--offsets", o->offsets, "With --describe: offsets and lag (the default)");
  sub->add_flag("--verbose", o->verbose, "With --describe --members: the assignment");
  sub->add_flag("--to-earliest", o->to_earliest, "Reset to the log start");
  sub->add_flag("--to-latest", o->to_latest, "Reset to the log end");
  sub->add_option("--to-offset", o->to_offset, "Reset to this offset");
  sub->add_option("--shift-by", o->shift_by, "Move the committed offset by N (may be negative)");
  sub->add_flag("--dry-run", o->dry_run, "Show the new offsets only");
  sub->add_flag("--execute", o->execute, "Apply the new offsets");
  sub->add_option("--command-config", o->command_config, "Client properties file");
  sub->add_option("--timeout", o->timeout_ms, "Request timeout in ms");
  return [o]() {
    if (o->list + o->describe + o->reset + o->remove != 1)
      die("exactly one of --list, --describe, --reset-offsets or --delete is required");
    std::map<std::string, std::string> props;
    if (!o->command_config.empty()) props = read_properties_file(o->command_config);
    auto rk = make_client(RD_KAFKA_PRODUCER, o->bootstrap, props);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
    int status = 0;
    if (o->list) {
      for (const auto& g : list_groups(rk.get(), q, o->timeout_ms)) std::printf("%s\n", g.c_str());
    } else {
      if (o->all_groups) o->groups = list_groups(rk.get(), q, o->timeout_ms);
      if (o->groups.empty()) die("--group (or --all-groups) is required");
      if (o->remove) {
        status = remove(rk.get(), q, *o);
      } else {
        for (const auto& g : o->groups)
          status |= o->describe ? describe(rk.get(), q, *o, g) : reset(rk.get(), q, *o, g);
      }
    }
    rd_kafka_queue_destroy(q);
    return status;
  };
}

}  // namespace tern::cli
