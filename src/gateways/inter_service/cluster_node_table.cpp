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
  Change change = Change::none;
  if (it == nodes_.end()) {
    Entry e;
    e.last.uid = h.uid;
    e.seen = now;
    it = nodes_.emplace(h.uid, std::move(e)).first;
    change = Change::joined;
  }
  auto& e = it->second;
  // Reordered: keep the newer.
  if (change == Change::none && (h.seq < e.last.seq || (e.next && h.seq < e.next->seq)))
    return Change::none;
  e.seen = now;
  assemble(e, std::move(h));
  return change;
}

bool ClusterNodeTable::assemble(Entry& e, cluster::Heartbeat h) {
  if (h.chunks <= 1) {
    e.last = std::move(h);
    e.next.reset();
    return true;
  }
  if (h.seq <= e.last.seq && e.last.seq != 0) return false;  // that one is complete already
  if (!e.next || e.next->seq != h.seq || e.next->chunks != h.chunks) {
    e.next = Assembly();
    e.next->seq = h.seq;
    e.next->chunks = h.chunks;
    e.next->got.assign(h.chunks, false);
    e.next->parts.uid = h.uid;
    e.next->parts.seq = h.seq;
  }
  auto& a = *e.next;
  if (h.chunk >= a.chunks || a.got[h.chunk]) return false;  // a duplicate
  a.got[h.chunk] = true;
  ++a.count;
  for (auto& n : h.namespaces) {
    cluster::NamespaceCount* into = nullptr;
    for (auto& x : a.parts.namespaces)
      if (x.nsp == n.nsp) into = &x;
    if (!into) {
      cluster::NamespaceCount nc;
      nc.nsp = n.nsp;
      a.parts.namespaces.push_back(std::move(nc));
      into = &a.parts.namespaces.back();
    }
    into->sockets += n.sockets;
    into->anonymous += n.anonymous;
    for (auto& [u, c] : n.users) into->users[u] += c;
    a.users += n.users.size();
  }
  if (a.users > kMaxSnapshotUsers) {
    e.next.reset();
    return false;
  }
  if (a.count < a.chunks) return false;
  e.last = std::move(a.parts);
  e.next.reset();
  return true;
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
