#include "gateways/inter_service/kafka_offset_tracker.hpp"

#include <algorithm>

namespace sb::inter_service {

namespace {
constexpr auto kByOffset = [](const auto& e, int64_t off) { return e.offset < off; };
}

std::deque<PartitionOffsets::Entry>::iterator PartitionOffsets::find(int64_t offset) {
  auto it = std::lower_bound(window_.begin(), window_.end(), offset, kByOffset);
  return it != window_.end() && it->offset == offset ? it : window_.end();
}

std::deque<PartitionOffsets::Entry>::const_iterator PartitionOffsets::find(int64_t offset) const {
  auto it = std::lower_bound(window_.begin(), window_.end(), offset, kByOffset);
  return it != window_.end() && it->offset == offset ? it : window_.end();
}

void PartitionOffsets::delivered(int64_t offset) {
  if (offset < 0) return;
  // The first offset is where the consumer stands: no news to commit.
  if (committed_ < 0) committed_ = offset;
  if (window_.empty() || offset > window_.back().offset) {
    window_.push_back({offset, false});
  } else {
    auto it = std::lower_bound(window_.begin(), window_.end(), offset, kByOffset);
    if (it != window_.end() && it->offset == offset) {
      if (!it->done) return;  // redelivery of a pending offset
      it->done = false;       // delivered again after it was done: pending again
    } else {
      window_.insert(it, {offset, false});
    }
  }
  ++in_flight_;
  next_ = std::max(next_, offset + 1);
}

std::optional<int64_t> PartitionOffsets::done(int64_t offset) {
  auto it = find(offset);
  if (it == window_.end() || it->done) return std::nullopt;
  it->done = true;
  --in_flight_;
  while (!window_.empty() && window_.front().done) window_.pop_front();
  const int64_t pos = commit_position();
  if (pos <= committed_) return std::nullopt;
  committed_ = pos;
  return pos;
}

int64_t PartitionOffsets::commit_position() const {
  return window_.empty() ? next_ : window_.front().offset;
}

bool PartitionOffsets::pending(int64_t offset) const {
  auto it = find(offset);
  return it != window_.end() && !it->done;
}

}  // namespace sb::inter_service
