#include "gateways/inter_service/cluster_node_table.hpp"

namespace sb::inter_service {

ClusterNodeTable::Change ClusterNodeTable::apply(cluster::Heartbeat h, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(h.uid);
  if (h.bye) {
    if (it == nodes_.end()) return Change::none;
    nodes_.erase(it);
    return Change::left;
  }
  if (it == nodes_.end()) {
    std::string uid = h.uid;
    nodes_.emplace(std::move(uid), Entry{std::move(h), now});
    return Change::joined;
  }
  if (h.seq < it->second.last.seq) return Change::none;  // reordered: keep the newer
  it->second = Entry{std::move(h), now};
  return Change::none;
}

std::vector<std::string> ClusterNodeTable::expire(Clock::time_point now) {
  std::lock_guard lk(mu_);
  std::vector<std::string> gone;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (live(it->second, now)) {
      ++it;
      continue;
    }
    gone.push_back(it->first);
    it = nodes_.erase(it);
  }
  return gone;
}

std::vector<cluster::Heartbeat> ClusterNodeTable::alive(Clock::time_point now) const {
  std::lock_guard lk(mu_);
  std::vector<cluster::Heartbeat> out;
  for (auto& [uid, e] : nodes_)
    if (live(e, now)) out.push_back(e.last);
  return out;
}

size_t ClusterNodeTable::alive_count(Clock::time_point now) const {
  std::lock_guard lk(mu_);
  size_t n = 0;
  for (auto& [uid, e] : nodes_) n += live(e, now) ? 1 : 0;
  return n;
}

bool ClusterNodeTable::is_alive(const std::string& uid, Clock::time_point now) const {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(uid);
  return it != nodes_.end() && live(it->second, now);
}

}  // namespace sb::inter_service
