// The managed metadata store: an etcd StatefulSet of spec.metadataStore.managed.replicas
// members "<c>-etcd-<i>", found by each other through the headless Service "<c>-etcd" and by
// the brokers through the client Service "<c>-etcd-client".
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "operator/api/cluster.h"
#include "operator/model/operator_defaults.h"

namespace tern::op::model {

// [StatefulSet, headless Service, client Service], whatever the store type (the caller decides
// whether they should exist: build_cluster_objects only when the type is managed).
//
// The member list (--initial-cluster) is only read when a member first starts with an empty data
// directory, so changing managed.replicas later does not add or remove members of a running
// etcd: that needs etcd's member API and is not done by the operator yet.
std::vector<nlohmann::json> build_etcd_objects(const api::cluster& c,
                                               const operator_defaults& defaults);

// "<c>-etcd-0=http://<c>-etcd-0.<c>-etcd.<ns>.svc:2380,..."
std::string etcd_initial_cluster(const api::cluster& c);

}  // namespace tern::op::model
