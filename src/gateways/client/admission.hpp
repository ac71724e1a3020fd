#pragma once
// Admission of new Engine.IO sessions: a cap on sessions in all and per client
// address, and a handshake rate per address (token bucket). Shared by every
// worker of an endpoint: a mutex, taken once per handshake and once per
// session close, never per message.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/overload_counters.hpp"
#include "net/token_bucket.hpp"

namespace sb::eio {

struct AdmissionLimits {
  uint32_t max_connections = 0;         // 0 = no limit
  uint32_t max_connections_per_ip = 0;  // 0 = no limit
  uint32_t handshakes_per_second = 0;   // per address; 0 = no limit
  uint32_t handshake_burst = 0;
};

class Admission {
 public:
  explicit Admission(AdmissionLimits limits) : limits_(limits) {}

  // Counts a new session from `ip`, or names the limit that refuses it (and
  // counts the refusal in net::overload_counters()).
  std::optional<net::Limit> admit(std::string_view ip, uint64_t now_ms);
  // The session admitted from `ip` is gone. Builds no string (once per closed
  // session: the map is looked up by the view).
  void release(std::string_view ip);

  size_t total() const;

 private:
  struct PerIp {
    uint32_t sessions = 0;
    net::TokenBucket handshakes;
  };
  void prune(uint64_t now_ms);
  // Lets find() take a string_view (C++20 heterogeneous lookup).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  AdmissionLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PerIp, Hash, std::equal_to<>> by_ip_;
  size_t total_ = 0;
  size_t prune_at_ = 1024;  // map size that triggers the next sweep of idle entries
};

}  // namespace sb::eio
