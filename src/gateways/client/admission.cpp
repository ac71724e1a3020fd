#include "gateways/client/admission.hpp"

#include <algorithm>

namespace sb::eio {

std::optional<net::Limit> Admission::admit(std::string_view ip, uint64_t now_ms) {
  std::optional<net::Limit> refused;
  {
    std::lock_guard lk(mu_);
    if (limits_.max_connections && total_ >= limits_.max_connections) {
      refused = net::Limit::Connections;
    } else {
      auto it = by_ip_.find(ip);
      const bool fresh = it == by_ip_.end();
      if (fresh) it = by_ip_.emplace(std::string(ip), PerIp{}).first;
      auto& e = it->second;
      if (fresh) e.handshakes = net::TokenBucket(limits_.handshake_burst, now_ms);
      if (limits_.max_connections_per_ip && e.sessions >= limits_.max_connections_per_ip) {
        refused = net::Limit::ConnectionsPerIp;
      } else if (!e.handshakes.take(limits_.handshakes_per_second, limits_.handshake_burst,
                                    now_ms)) {
        refused = net::Limit::HandshakeRate;
      } else {
        ++e.sessions;
        ++total_;
      }
      if (by_ip_.size() >= prune_at_) prune(now_ms);
    }
  }
  if (refused) net::overload_counters().reject(*refused);
  return refused;
}

void Admission::release(std::string_view ip) {
  std::lock_guard lk(mu_);
  auto it = by_ip_.find(ip);
  if (it == by_ip_.end() || it->second.sessions == 0) return;
  --it->second.sessions;
  --total_;
}

size_t Admission::total() const {
  std::lock_guard lk(mu_);
  return total_;
}

// Forgets addresses with no session and a full bucket: they would start the
// same way afresh. Amortised: the next sweep waits for the map to double.
void Admission::prune(uint64_t now_ms) {
  for (auto it = by_ip_.begin(); it != by_ip_.end();) {
    if (it->second.sessions == 0 &&
        it->second.handshakes.full(limits_.handshakes_per_second, limits_.handshake_burst, now_ms))
      it = by_ip_.erase(it);
    else
      ++it;
  }
  prune_at_ = std::max<size_t>(1024, by_ip_.size() * 2);
}

}  // namespace sb::eio
