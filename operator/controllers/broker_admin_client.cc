// cpprestsdk requests to the broker admin API.
#define _TURN_OFF_PLATFORM_STRING
#include "operator/controllers/broker_admin_client.h"

#include <cpprest/http_client.h>

namespace tern::op::controllers {

namespace {

broker_share share_of(const nlohmann::json& j) {
  broker_share s;
  s.id = j.value("id", -1);
  s.live = j.value("live", false);
  s.draining = j.value("draining", false);
  s.drained = j.value("drained", false);
  s.replicas = j.value("replicas", int64_t{0});
  s.leaders = j.value("leaders", int64_t{0});
  s.restart_blocking_partitions = j.value("restart_blocking_partitions", int64_t{0});
  s.partitions_below_min_isr_if_stopped =
      j.value("partitions_below_min_isr_if_stopped", int64_t{0});
  return s;
}

}  // namespace

broker_admin_client::broker_admin_client(std::string base_url, std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)), timeout_(timeout) {}

std::expected<nlohmann::json, std::string> broker_admin_client::call(const std::string& method,
                                                                     const std::string& path) {
  try {
    web::http::client::http_client_config config;
    config.set_timeout(timeout_);
    web::http::client::http_client client(base_url_, config);
    web::http::http_request request(method);
    request.set_request_uri(path);
    auto response = client.request(request).get();
    const auto body = response.extract_utf8string(true).get();
    const auto status = response.status_code();
    if (status == 404) return std::unexpected(std::string("404"));
    if (status < 200 || status >= 300) {
      auto parsed = nlohmann::json::parse(body, nullptr, false);
      const std::string why = parsed.is_object() && parsed.contains("error")
                                  ? parsed["error"].get<std::string>()
                                  : body;
      return std::unexpected(method + " " + base_url_ + path + ": HTTP " + std::to_string(status) +
                             ": " + why);
    }
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded())
      return std::unexpected(method + " " + base_url_ + path + ": the answer is not JSON");
    return parsed;
  } catch (const std::exception& e) {
    return std::unexpected(method + " " + base_url_ + path + ": " + e.what());
  }
}

std::expected<cluster_health, std::string> broker_admin_client::cluster() {
  auto j = call("GET", "/v1/cluster");
  if (!j) return std::unexpected(j.error());
  cluster_health h;
  h.mode = j->value("mode", "");
  h.live_brokers = j->contains("brokers") ? static_cast<int64_t>((*j)["brokers"].size()) : 0;
  h.partitions = j->value("partitions", int64_t{0});
  h.under_replicated = j->value("under_replicated_partitions", int64_t{0});
  h.under_min_isr = j->value("under_min_isr_partitions", int64_t{0});
  h.offline = j->value("offline_partitions", int64_t{0});
  h.reassigning = j->value("reassigning_partitions", int64_t{0});
  return h;
}

std::expected<broker_share, std::string> broker_admin_client::broker(int32_t id) {
  auto j = call("GET", "/v1/brokers/" + std::to_string(id));
  if (!j) return std::unexpected(j.error());
  return share_of(*j);
}

std::expected<broker_share, std::string> broker_admin_client::start_drain(int32_t id) {
  auto j = call("POST", "/v1/brokers/" + std::to_string(id) + "/drain");
  if (!j) return std::unexpected(j.error());
  return share_of(*j);
}

std::expected<broker_share, std::string> broker_admin_client::stop_drain(int32_t id) {
  auto j = call("DELETE", "/v1/brokers/" + std::to_string(id) + "/drain");
  if (!j) return std::unexpected(j.error());
  return share_of(*j);
}

namespace {

rebalance_state rebalance_of(const nlohmann::json& j) {
  const auto brokers = j.value("replicas_per_broker", nlohmann::json::object());
  return {j.value("balanced", true), j.value("moves_started", int64_t{0}),
          j.value("in_progress", int64_t{0}), static_cast<int64_t>(brokers.size())};
}

}  // namespace

std::expected<rebalance_state, std::string> broker_admin_client::rebalance_status() {
  auto j = call("GET", "/v1/rebalance");
  if (!j) return std::unexpected(j.error());
  return rebalance_of(*j);
}

std::expected<rebalance_state, std::string> broker_admin_client::start_rebalance() {
  auto j = call("POST", "/v1/rebalance");
  if (!j) return std::unexpected(j.error());
  return rebalance_of(*j);
}

std::expected<std::string, std::string> broker_admin_client::topic_id(const std::string& topic) {
  auto j = call("GET", "/v1/topics/" + web::uri::encode_data_string(topic));
  if (!j) {
    if (j.error() == "404") return std::string();
    return std::unexpected(j.error());
  }
  return j->value("topic_id", "");
}

}  // namespace tern::op::controllers
