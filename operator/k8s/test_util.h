// Helpers shared by the operator/k8s tests: bounded waits and a client for a test double.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "operator/k8s/client.h"
#include "operator/testing/kube_api_double.h"

namespace tern::op::k8s::testing {

// Polls `done` until it holds or `limit` passes; returns its last value.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

inline connection connect_to(tern::kube_double::kube_api_double& api) {
  connection c;
  c.server = api.url();
  c.ns = "default";
  return c;
}

inline nlohmann::json config_map(const std::string& name, nlohmann::json data = {{"k", "v"}},
                                 nlohmann::json labels = nlohmann::json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"data", data}};
}

}  // namespace tern::op::k8s::testing
