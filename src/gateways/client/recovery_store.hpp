#pragma once
// Connection state recovery (Socket.IO 4.6+): a bounded history of room and
// namespace broadcasts, and the state of sockets that dropped, so a client that
// comes back within the window gets its id, its rooms and every broadcast it
// missed, in order. Shared by all workers (one mutex; touched once per
// broadcast and once per disconnect or recovery, never per recipient).
//
// Offsets are "<epoch>-<seq>": the epoch is random per process, so an offset
// from before a restart is simply not found (the client connects afresh, as
// the protocol allows) instead of matching the wrong packet.
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sb::sio {

struct Broadcast;

struct RecoveryOptions {
  bool enabled = false;
  uint32_t max_disconnection_ms = 120000;  // how long a dropped session is kept
  size_t max_packets = 10000;              // history bound (also pruned by age)
};

// What a dropped socket leaves behind.
struct SavedSession {
  std::string pid;  // private id the client sends back
  std::string sid;
  std::string nsp;
  std::string user_id;
  std::vector<std::string> rooms;
  uint64_t expires_ms = 0;
};

class RecoveryStore {
 public:
  explicit RecoveryStore(RecoveryOptions options);
  const RecoveryOptions& options() const { return options_; }

  // Appends the broadcast to the history under a new offset. `encode` is called with
  // the offset (to put it in the packet) under the lock, so history order = offset order.
  template <class Encode>
  std::shared_ptr<const Broadcast> record(Encode&& encode);

  void save(SavedSession s);

  struct Restored {
    SavedSession session;
    std::vector<std::shared_ptr<const Broadcast>> missed;  // in order
    uint64_t upto_seq = 0;  // the socket must skip live deliveries up to this one
  };
  // Takes the session `pid` (once) if it is unexpired, belongs to `nsp` and `offset`
  // is still in the history; nullopt otherwise.
  std::optional<Restored> restore(const std::string& pid, const std::string& offset,
                                  const std::string& nsp);

  size_t history_size() const;

 private:
  struct Entry {
    uint64_t seq;
    uint64_t time_ms;
    std::shared_ptr<const Broadcast> broadcast;
  };
  void prune(uint64_t now_ms);  // lock held
  std::string offset_of(uint64_t seq) const;
  std::shared_ptr<const Broadcast> append(uint64_t seq, std::shared_ptr<Broadcast> b);

  RecoveryOptions options_;
  std::string epoch_;
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;
  uint64_t last_sweep_ms_ = 0;
  std::deque<Entry> history_;
  std::unordered_map<std::string, SavedSession> sessions_;  // by pid
};

template <class Encode>
std::shared_ptr<const Broadcast> RecoveryStore::record(Encode&& encode) {
  std::lock_guard lock(mu_);
  const uint64_t seq = next_seq_++;
  std::shared_ptr<Broadcast> b = encode(offset_of(seq), seq);
  return append(seq, std::move(b));
}

// Whether a broadcast targets a socket in `rooms` with id `sid` (the delivery rule:
// any of its rooms, or all when it names none, and none of the excepted ones).
bool broadcast_reaches(const Broadcast& b, const std::string& sid,
                       const std::vector<std::string>& rooms);

}  // namespace sb::sio
