// Test helper: Cluster objects for the builder tests, parsed the way the operator parses them.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "operator/api/cluster.h"

namespace tern::op::model::test {

inline api::cluster make_cluster(nlohmann::json spec = nlohmann::json::object(),
                                 const std::string& name = "tern",
                                 const std::string& ns = "kafka") {
  nlohmann::json object = {{"apiVersion", "tern.dev/v1alpha1"},
                           {"kind", "Cluster"},
                           {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-1"}}},
                           {"spec", std::move(spec)}};
  auto c = api::parse_cluster(object);
  EXPECT_TRUE(c) << c.error();
  return c ? *c : api::cluster{};
}

}  // namespace tern::op::model::test
