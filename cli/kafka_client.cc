// librdkafka helpers for the tern commands.
#include "cli/kafka_client.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace tern::cli {

void die(const std::string& message) {
  std::fprintf(stderr, "tern: %s\n", message.c_str());
  std::exit(1);
}

std::map<std::string, std::string> parse_properties(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument("expected key=value, got '" + item + "'");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::map<std::string, std::string> read_properties_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#' || line[start] == '!') continue;
    const size_t eq = line.find_first_of("=:", start);
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const size_t b = s.find_first_not_of(" \t\r");
      const size_t e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    out[trim(line.substr(start, eq - start))] = trim(line.substr(eq + 1));
  }
  return out;
}

kafka_handle make_client(rd_kafka_type_t type, const std::string& bootstrap,
                         const std::map<std::string, std::string>& properties,
                         void (*configure)(rd_kafka_conf_t*)) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      die("client property " + k + "=" + v + ": " + err);
    }
  };
  set("bootstrap.servers", bootstrap);
  set("client.id", "tern-cli");
  // Match Java clients: the same key goes to the same partition from tern and from Java.
  if (type == RD_KAFKA_PRODUCER) set("partitioner", "murmur2_random");
  for (const auto& [k, v] : properties) set(k, v);
  if (configure != nullptr) configure(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) die(std::string("cannot create client: ") + err);
  return kafka_handle(rk);
}

rd_kafka_AdminOptions_t* admin_options(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms) {
  rd_kafka_AdminOptions_t* o = rd_kafka_AdminOptions_new(rk, op);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof err);
  return o;
}

rd_kafka_event_t* await_admin_result(rd_kafka_queue_t* q, int timeout_ms) {
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
  if (ev == nullptr) die("timed out waiting for the cluster");
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string why = rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    die(why);
  }
  return ev;
}

int partition_count(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
    die("cannot read metadata for " + topic + ": " + rd_kafka_err2str(e));
  int n = -1;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic != md->topics[i].topic) continue;
    if (md->topics[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string why = rd_kafka_err2str(md->topics[i].err);
      rd_kafka_metadata_destroy(md);
      die("topic " + topic + ": " + why);
    }
    n = md->topics[i].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  if (n <= 0) die("topic " + topic + " does not exist");
  return n;
}

}  // namespace tern::cli
