#pragma once
// The other nodes of a cluster as their heartbeats describe them, each kept
// until a `bye` or until no heartbeat came for `timeout` (a node that died
// without saying so). Thread-safe; time is passed in, so tests drive it.
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/cluster_message.hpp"

namespace sb::inter_service {

class ClusterNodeTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ClusterNodeTable(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  enum class Change { none, joined, left };
  // A heartbeat seen at `now`: `joined` for a node not known before, `left`
  // for the bye of a known one. An older `seq` than the one kept is ignored.
  Change apply(cluster::Heartbeat h, Clock::time_point now);
  // Drops the nodes silent for longer than the timeout; returns their ids.
  std::vector<std::string> expire(Clock::time_point now);
  // The live nodes' last heartbeats (silent ones excluded even before expire()).
  std::vector<cluster::Heartbeat> alive(Clock::time_point now) const;
  size_t alive_count(Clock::time_point now) const;
  bool is_alive(const std::string& uid, Clock::time_point now) const;

 private:
  struct Entry {
    cluster::Heartbeat last;
    Clock::time_point seen;
  };
  bool live(const Entry& e, Clock::time_point now) const { return now - e.seen <= timeout_; }

  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace sb::inter_service
