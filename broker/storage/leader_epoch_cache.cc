// The leader epoch checkpoint.
#include "broker/storage/leader_epoch_cache.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "common/file_util.h"

namespace tern::storage {

leader_epoch_cache leader_epoch_cache::load(const std::string& dir) {
  leader_epoch_cache c;
  c.path_ = dir + "/" + kFileName;
  auto text = read_whole_file(c.path_);
  if (!text) return c;
  std::istringstream in(*text);
  int version = -1;
  size_t count = 0;
  if (!(in >> version >> count) || version != 0) {
    spdlog::warn("{}: unreadable leader epoch checkpoint; starting empty", c.path_);
    return c;
  }
  for (size_t i = 0; i < count; ++i) {
    epoch_entry e{};
    if (!(in >> e.epoch >> e.start_offset)) {
      spdlog::warn("{}: leader epoch checkpoint cut short after {} entries", c.path_, i);
      break;
    }
    c.entries_.push_back(e);
  }
  return c;
}

void leader_epoch_cache::save() const {
  std::string text = "0\n" + std::to_string(entries_.size()) + "\n";
  for (const auto& e : entries_)
    text += std::to_string(e.epoch) + " " + std::to_string(e.start_offset) + "\n";
  if (auto w = write_file_atomically(path_, text); !w)
    spdlog::warn("{}: cannot write the leader epoch checkpoint: {}", path_, w.error());
}

void leader_epoch_cache::assign(int32_t epoch, int64_t offset) {
  if (epoch < 0) return;
  if (!entries_.empty() && entries_.back().epoch >= epoch) return;
  while (!entries_.empty() && entries_.back().start_offset >= offset) entries_.pop_back();
  entries_.push_back({epoch, offset});
  save();
}

epoch_end leader_epoch_cache::end_offset_for(int32_t epoch, int64_t log_end_offset) const {
  // The last entry with epoch <= the one asked about; its end is where the next one starts.
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch > epoch) continue;
    const int64_t end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
    return {entries_[i].epoch, end};
  }
  return {};
}

void leader_epoch_cache::truncate_from(int64_t offset) {
  const size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= offset) entries_.pop_back();
  if (entries_.size() != before) save();
}

void leader_epoch_cache::clear() {
  entries_.clear();
  save();
}

std::optional<int32_t> leader_epoch_cache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

}  // namespace tern::storage
