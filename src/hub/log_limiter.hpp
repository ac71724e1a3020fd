#pragma once
// Lets a few log lines a second through, so a failing route or handler hit
// at a high rate cannot flood the logs (and the `logs` stream); the callers
// keep exact counters next to it.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace sb::hub {

class LogLimiter {
 public:
  explicit LogLimiter(uint32_t per_second = 20) : per_second_(per_second) {}

  bool allow() {
    using namespace std::chrono;
    const uint64_t sec = static_cast<uint64_t>(
        duration_cast<seconds>(steady_clock::now().time_since_epoch()).count());
    uint64_t win = window_.load(std::memory_order_relaxed);
    if (win != sec && window_.compare_exchange_strong(win, sec))
      used_.store(0, std::memory_order_relaxed);
    return used_.fetch_add(1, std::memory_order_relaxed) < per_second_;
  }

 private:
  uint32_t per_second_;
  std::atomic<uint64_t> window_{0};
  std::atomic<uint32_t> used_{0};
};

}  // namespace sb::hub
