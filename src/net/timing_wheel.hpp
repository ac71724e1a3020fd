#pragma once
// One timing wheel per worker drives every heartbeat and timeout of that
// worker's connections, so an idle connection owns no timer object. Two kinds
// of entries: callbacks (not cancellable: each checks its owner's state when it
// fires), and WheelTimers embedded in their owner (no allocation; unlinked in
// O(1) when re-armed, cancelled or destroyed, so a closed connection leaves
// nothing behind in the wheel). Per-connection timers use the second kind.
#include <cstdint>
#include <functional>
#include <vector>

namespace sb::net {

class TimingWheel;

// The links of an intrusive, circular list (a slot's sentinel is one too).
struct TimerLink {
  TimerLink* prev = this;
  TimerLink* next = this;
};

// A timer that lives inside its owner: derive from it, override on_timer(),
// arm it with TimingWheel::schedule_at(*this, due). One pending expiry at a
// time (arming again moves it). Owner worker only.
class WheelTimer : private TimerLink {
 public:
  WheelTimer() = default;
  WheelTimer(const WheelTimer&) = delete;
  WheelTimer& operator=(const WheelTimer&) = delete;

  bool timer_armed() const { return wheel_ != nullptr; }
  void cancel_timer();

 protected:
  ~WheelTimer() { cancel_timer(); }
  // Runs once the due time passed; the timer is disarmed first, so it may re-arm.
  virtual void on_timer() = 0;

 private:
  friend class TimingWheel;
  TimingWheel* wheel_ = nullptr;
  uint64_t due_ms_ = 0;
};

class TimingWheel {
 public:
  using Callback = std::function<void()>;

  // `tick_ms`: resolution; `slots`: wheel size (entries beyond one turn are re-queued).
  explicit TimingWheel(uint32_t tick_ms = 10, uint32_t slots = 4096);
  ~TimingWheel();
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  // Runs `cb` once `now_ms() >= due_ms` (at the first tick at or after it).
  void schedule_at(uint64_t due_ms, Callback cb);
  void schedule_in(uint64_t delay_ms, Callback cb) {
    schedule_at(now_ms() + delay_ms, std::move(cb));
  }

  // Arms (or moves) an embedded timer.
  void schedule_at(WheelTimer& t, uint64_t due_ms);

  // Fires everything due up to `now`. Returns the number of callbacks run.
  size_t advance(uint64_t now);

  size_t size() const { return size_; }
  uint32_t tick_ms() const { return tick_ms_; }

  // Monotonic milliseconds.
  static uint64_t now_ms();

 private:
  friend class WheelTimer;
  struct Entry {
    uint64_t due_ms;
    Callback cb;
  };
  struct Slot {
    std::vector<Entry> entries;
    TimerLink timers;  // sentinel of the slot's WheelTimers
    Slot() = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
  };
  uint64_t tick_of(uint64_t due_ms) const;
  static void unlink(TimerLink& l);
  static void link_before(TimerLink& pos, TimerLink& l);
  size_t fire_timers(TimerLink& slot, uint64_t now);

  uint32_t tick_ms_;
  std::vector<Slot> slots_;  // never resized (sentinels point to themselves)
  uint64_t current_tick_;    // last tick processed
  size_t size_ = 0;
  std::vector<Entry> firing_;  // reused buffer
};

}  // namespace sb::net
