#pragma once
// One timing wheel per worker drives every heartbeat and timeout of that
// worker's connections, so an idle connection owns no timer object. Callbacks
// are not cancellable: each checks its owner's state when it fires.
#include <cstdint>
#include <functional>
#include <vector>

namespace sb::net {

class TimingWheel {
 public:
  using Callback = std::function<void()>;

  // `tick_ms`: resolution; `slots`: wheel size (entries beyond one turn are re-queued).
  explicit TimingWheel(uint32_t tick_ms = 10, uint32_t slots = 4096);

  // Runs `cb` once `now_ms() >= due_ms` (at the first tick at or after it).
  void schedule_at(uint64_t due_ms, Callback cb);
  void schedule_in(uint64_t delay_ms, Callback cb) {
    schedule_at(now_ms() + delay_ms, std::move(cb));
  }

  // Fires everything due up to `now`. Returns the number of callbacks run.
  size_t advance(uint64_t now);

  size_t size() const { return size_; }
  uint32_t tick_ms() const { return tick_ms_; }

  // Monotonic milliseconds.
  static uint64_t now_ms();

 private:
  struct Entry {
    uint64_t due_ms;
    Callback cb;
  };
  uint32_t tick_ms_;
  std::vector<std::vector<Entry>> slots_;
  uint64_t current_tick_;  // last tick processed
  size_t size_ = 0;
  std::vector<Entry> firing_;  // reused buffer
};

}  // namespace sb::net
