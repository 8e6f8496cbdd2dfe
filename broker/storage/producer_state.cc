// Sequence checks for idempotent producers, following Kafka's rules.
#include "broker/storage/producer_state.h"

#include <nlohmann/json.hpp>

namespace tern::storage {

using protocol::batch_header;
using protocol::error_code;

namespace {

int32_t next_sequence(int32_t s) {
  return s == INT32_MAX ? 0 : s + 1;
}

}  // namespace

producer_state::verdict producer_state::check(const batch_header& h) const {
  verdict v;
  auto it = producers_.find(h.producer_id);
  if (it == producers_.end()) {
    // A producer we have no state for must start at sequence 0; otherwise its state was lost
    // (e.g. removed by retention) and the client has to reset it.
    if (h.base_sequence != 0) v.error = error_code::unknown_producer_id;
    return v;
  }
  const producer& p = it->second;
  if (h.producer_epoch < p.epoch) {
    v.error = error_code::invalid_producer_epoch;
    return v;
  }
  if (h.producer_epoch > p.epoch) {
    if (h.base_sequence != 0) v.error = error_code::out_of_order_sequence_number;
    return v;
  }
  for (const batch_meta& b : p.batches) {
    if (b.first_sequence == h.base_sequence && b.last_sequence == h.last_sequence()) {
      v.duplicate = true;
      v.duplicate_of = b;
      return v;
    }
  }
  if (!p.batches.empty() && h.base_sequence != next_sequence(p.batches.back().last_sequence))
    v.error = error_code::out_of_order_sequence_number;
  return v;
}

void producer_state::record(const batch_header& h) {
  if (h.producer_id < 0) return;
  producer& p = producers_[h.producer_id];
  if (h.producer_epoch != p.epoch) {
    p.epoch = h.producer_epoch;
    p.batches.clear();
  }
  p.batches.push_back(
      {h.base_sequence, h.last_sequence(), h.base_offset, h.last_offset(), h.max_timestamp});
  if (p.batches.size() > kBatchesKept) p.batches.pop_front();
}

std::string producer_state::snapshot(int64_t offset) const {
  nlohmann::json j;
  j["offset"] = offset;
  j["producers"] = nlohmann::json::array();
  for (const auto& [id, p] : producers_) {
    nlohmann::json batches = nlohmann::json::array();
    for (const auto& b : p.batches)
      batches.push_back(
          {b.first_sequence, b.last_sequence, b.first_offset, b.last_offset, b.timestamp});
    j["producers"].push_back({{"id", id}, {"epoch", p.epoch}, {"batches", batches}});
  }
  return j.dump();
}

std::expected<int64_t, std::string> producer_state::load(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    std::map<int64_t, producer> loaded;
    for (const auto& pj : j.at("producers")) {
      producer p;
      p.epoch = pj.at("epoch").get<int16_t>();
      for (const auto& b : pj.at("batches"))
        p.batches.push_back({b.at(0).get<int32_t>(), b.at(1).get<int32_t>(), b.at(2).get<int64_t>(),
                             b.at(3).get<int64_t>(), b.at(4).get<int64_t>()});
      loaded[pj.at("id").get<int64_t>()] = std::move(p);
    }
    producers_ = std::move(loaded);
    return j.at("offset").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(std::string("producer snapshot: ") + e.what());
  }
}

}  // namespace tern::storage
