#pragma once
// Reconnection delays: exponential growth with jitter, so a fleet of nodes
// that lost the same server does not reconnect in lockstep. Pure; the random
// source is injectable for tests.
#include <algorithm>
#include <cstdint>
#include <random>

namespace sb::inter_service {

struct BackoffPolicy {
  uint32_t initial_ms = 100;
  uint32_t max_ms = 5000;
  double multiplier = 2.0;
  double jitter = 0.2;  // each delay is drawn from [d * (1 - jitter), d]
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy p = {}, uint64_t seed = std::random_device{}())
      : p_(p), rng_(seed) {}

  // The next delay; grows until max_ms.
  uint32_t next() {
    const double base = std::min<double>(
        p_.max_ms, current_ ? current_ * p_.multiplier : std::max<uint32_t>(p_.initial_ms, 1));
    current_ = base;
    const double j = std::clamp(p_.jitter, 0.0, 1.0);
    std::uniform_real_distribution<double> d(base * (1.0 - j), base);
    ++attempts_;
    return static_cast<uint32_t>(std::max(1.0, d(rng_)));
  }
  void reset() {
    current_ = 0;
    attempts_ = 0;
  }
  uint32_t attempts() const { return attempts_; }

 private:
  BackoffPolicy p_;
  std::mt19937_64 rng_;
  double current_ = 0;
  uint32_t attempts_ = 0;
};

}  // namespace sb::inter_service
