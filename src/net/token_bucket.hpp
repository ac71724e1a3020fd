#pragma once
// A token bucket: `rate` tokens a second, at most `burst` saved up. Lazy (no
// timer): the refill is computed from the elapsed time on each take. Not
// thread-safe; 16 bytes, so one per socket is cheap.
#include <algorithm>
#include <cstdint>

namespace sb::net {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(uint32_t burst, uint64_t now_ms)
      : tokens_(static_cast<double>(burst)), last_ms_(now_ms) {}

  // Takes one token if there is one. `rate` 0 means no limit.
  bool take(uint32_t rate, uint32_t burst, uint64_t now_ms) {
    if (rate == 0) return true;
    if (now_ms > last_ms_) {
      tokens_ = std::min(static_cast<double>(burst),
                         tokens_ + static_cast<double>(now_ms - last_ms_) * rate / 1000.0);
      last_ms_ = now_ms;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // True when the bucket would be full again by `now_ms` (nothing to remember).
  bool full(uint32_t rate, uint32_t burst, uint64_t now_ms) const {
    if (rate == 0) return true;
    const double t =
        tokens_ + static_cast<double>(now_ms - std::min(now_ms, last_ms_)) * rate / 1000.0;
    return t >= static_cast<double>(burst);
  }

 private:
  double tokens_ = 0;
  uint64_t last_ms_ = 0;
};

}  // namespace sb::net
