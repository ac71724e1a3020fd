#pragma once
// The other nodes of a cluster as their heartbeats describe them, each kept
// until a `bye` or until no heartbeat came for `timeout` (a node that died
// without saying so). Thread-safe; time is passed in, so tests drive it.
//
// A snapshot may come in chunks (cluster_message.hpp): they are put together
// aside and swapped in only when every chunk of the generation arrived, so
// readers see the last complete snapshot, never half of one (no user seems
// to leave while a big snapshot is in transit). A chunk of a newer
// generation drops an unfinished older one. Any chunk keeps the node alive.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/cluster_message.hpp"

namespace sb::inter_service {

class ClusterNodeTable {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ClusterNodeTable(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  enum class Change { none, joined, left };
  // A heartbeat (chunk) seen at `now`: `joined` for a node not known before
  // (its snapshot is empty until one is complete), `left` for the bye of a
  // known one. An older `seq` than the one kept or assembled is ignored.
  Change apply(cluster::Heartbeat h, Clock::time_point now);
  // Drops the nodes silent for longer than the timeout; returns their ids.
  std::vector<std::string> expire(Clock::time_point now);
  // The live nodes' last heartbeats (silent ones excluded even before expire()).
  std::vector<cluster::Heartbeat> alive(Clock::time_point now) const;
  size_t alive_count(Clock::time_point now) const;
  bool is_alive(const std::string& uid, Clock::time_point now) const;

 private:
  struct Assembly {
    uint64_t seq = 0;
    uint32_t chunks = 0;
    std::vector<bool> got;
    size_t count = 0;
    size_t users = 0;
    cluster::Heartbeat parts;
  };
  struct Entry {
    cluster::Heartbeat last;  // the last complete snapshot
    Clock::time_point seen;
    std::optional<Assembly> next;  // chunks of a newer one, arriving
  };
  // Users one snapshot may hold (an assembly past it is dropped: bad input).
  static constexpr size_t kMaxSnapshotUsers = 10'000'000;
  // Adds chunk `h` to `e`; true when it completed a snapshot.
  static bool assemble(Entry& e, cluster::Heartbeat h);
  bool live(const Entry& e, Clock::time_point now) const { return now - e.seen <= timeout_; }

  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace sb::inter_service
