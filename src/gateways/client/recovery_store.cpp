#include "gateways/client/recovery_store.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "gateways/client/sio_server.hpp"
#include "net/timing_wheel.hpp"

namespace sb::sio {

RecoveryStore::RecoveryStore(RecoveryOptions options) : options_(options) {
  static constexpr char kAbc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char rnd[6];
  RAND_bytes(rnd, sizeof rnd);
  for (unsigned char c : rnd) epoch_.push_back(kAbc[c % 36]);
}

std::string RecoveryStore::offset_of(uint64_t seq) const {
  return epoch_ + "-" + std::to_string(seq);
}

std::shared_ptr<const Broadcast> RecoveryStore::append(uint64_t seq, std::shared_ptr<Broadcast> b) {
  const uint64_t now = net::TimingWheel::now_ms();
  b->seq = seq;
  history_.push_back(Entry{seq, now, b});
  prune(now);
  return b;
}

void RecoveryStore::prune(uint64_t now_ms) {
  while (!history_.empty() && (history_.size() > options_.max_packets ||
                               history_.front().time_ms + options_.max_disconnection_ms < now_ms))
    history_.pop_front();
  // Sessions expire on the same clock; sweep them at most once a second.
  if (now_ms - last_sweep_ms_ >= 1000) {
    last_sweep_ms_ = now_ms;
    for (auto it = sessions_.begin(); it != sessions_.end();)
      it = it->second.expires_ms < now_ms ? sessions_.erase(it) : std::next(it);
  }
}

void RecoveryStore::save(SavedSession s) {
  std::lock_guard lock(mu_);
  s.expires_ms = net::TimingWheel::now_ms() + options_.max_disconnection_ms;
  auto pid = s.pid;
  sessions_[pid] = std::move(s);
}

std::optional<RecoveryStore::Restored> RecoveryStore::restore(const std::string& pid,
                                                              const std::string& offset,
                                                              const std::string& nsp) {
  std::lock_guard lock(mu_);
  const uint64_t now = net::TimingWheel::now_ms();
  prune(now);
  auto it = sessions_.find(pid);
  if (it == sessions_.end()) return std::nullopt;
  SavedSession session = std::move(it->second);
  sessions_.erase(it);  // a pid is good for one recovery
  if (session.expires_ms < now || session.nsp != nsp) return std::nullopt;

  // The offset names the last broadcast the client saw.
  const auto dash = offset.find('-');
  if (dash == std::string::npos || std::string_view(offset).substr(0, dash) != epoch_)
    return std::nullopt;
  uint64_t seen = 0;
  auto [p, ec] = std::from_chars(offset.data() + dash + 1, offset.data() + offset.size(), seen);
  if (ec != std::errc() || p != offset.data() + offset.size() || seen >= next_seq_)
    return std::nullopt;
  // Everything after `seen` must still be here, or the client would silently miss some.
  if (seen + 1 < next_seq_ && (history_.empty() || history_.front().seq > seen + 1))
    return std::nullopt;

  Restored r;
  r.upto_seq = next_seq_ - 1;
  auto first = std::lower_bound(history_.begin(), history_.end(), seen + 1,
                                [](const Entry& e, uint64_t s) { return e.seq < s; });
  for (auto e = first; e != history_.end(); ++e) {
    if (e->broadcast->nsp == nsp && broadcast_reaches(*e->broadcast, session.sid, session.rooms))
      r.missed.push_back(e->broadcast);
  }
  r.session = std::move(session);
  return r;
}

size_t RecoveryStore::history_size() const {
  std::lock_guard lock(mu_);
  return history_.size();
}

bool broadcast_reaches(const Broadcast& b, const std::string& sid,
                       const std::vector<std::string>& rooms) {
  auto in = [&](const std::string& room) {
    return room == sid || std::find(rooms.begin(), rooms.end(), room) != rooms.end();
  };
  for (auto& r : b.except)
    if (in(r)) return false;
  if (b.rooms.empty()) return true;
  return std::any_of(b.rooms.begin(), b.rooms.end(), in);
}

}  // namespace sb::sio
