#include "gateways/inter_service/recovery_recent.hpp"

namespace sb::inter_service {

void RecentEntries::reset(protocol::StreamId from) {
  std::lock_guard lock(mu_);
  entries_.clear();
  covered_from_ = from;
  covered_ = true;
}

void RecentEntries::remember(std::shared_ptr<const sio::Broadcast> b) {
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(b));
  while (entries_.size() > capacity_) {
    covered_from_ = entries_.front()->stream_id;
    entries_.pop_front();
  }
}

std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> RecentEntries::window(
    protocol::StreamId after, protocol::StreamId upto) const {
  std::lock_guard lock(mu_);
  if (!covered_ || after < covered_from_) return std::nullopt;
  std::vector<std::shared_ptr<const sio::Broadcast>> out;
  for (auto& b : entries_)
    if (b->stream_id > after && b->stream_id <= upto) out.push_back(b);
  return out;
}

}  // namespace sb::inter_service
