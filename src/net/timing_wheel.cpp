#include "net/timing_wheel.hpp"

#include <chrono>

namespace sb::net {

TimingWheel::TimingWheel(uint32_t tick_ms, uint32_t slots)
    : tick_ms_(tick_ms ? tick_ms : 1),
      slots_(slots ? slots : 1),
      current_tick_(now_ms() / tick_ms_) {}

TimingWheel::~TimingWheel() {
  // Owners that outlive the wheel must not unlink from freed memory.
  for (auto& slot : slots_)
    while (slot.timers.next != &slot.timers) {
      auto* t = static_cast<WheelTimer*>(slot.timers.next);
      unlink(*t);
      t->wheel_ = nullptr;
    }
}

void TimingWheel::unlink(TimerLink& l) {
  l.prev->next = l.next;
  l.next->prev = l.prev;
  l.prev = l.next = &l;
}

void TimingWheel::link_before(TimerLink& pos, TimerLink& l) {
  l.prev = pos.prev;
  l.next = &pos;
  pos.prev->next = &l;
  pos.prev = &l;
}

void WheelTimer::cancel_timer() {
  if (!wheel_) return;
  TimingWheel::unlink(*this);
  --wheel_->size_;
  wheel_ = nullptr;
}

uint64_t TimingWheel::tick_of(uint64_t due_ms) const {
  uint64_t tick = (due_ms + tick_ms_ - 1) / tick_ms_;
  // Never schedule into a tick already processed: it would wait a full turn.
  return tick <= current_tick_ ? current_tick_ + 1 : tick;
}

void TimingWheel::schedule_at(WheelTimer& t, uint64_t due_ms) {
  t.cancel_timer();
  t.due_ms_ = due_ms;
  t.wheel_ = this;
  link_before(slots_[tick_of(due_ms) % slots_.size()].timers, t);
  ++size_;
}

uint64_t TimingWheel::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void TimingWheel::schedule_at(uint64_t due_ms, Callback cb) {
  slots_[tick_of(due_ms) % slots_.size()].entries.push_back(Entry{due_ms, std::move(cb)});
  ++size_;
}

// Moves the slot's timers to a local list first: a timer that fires may
// destroy or re-arm others (they unlink from the local list), and may re-arm
// itself, which puts it in a later tick.
size_t TimingWheel::fire_timers(TimerLink& slot, uint64_t now) {
  if (slot.next == &slot) return 0;
  TimerLink pending;
  pending.next = slot.next;
  pending.prev = slot.prev;
  pending.next->prev = &pending;
  pending.prev->next = &pending;
  slot.prev = slot.next = &slot;
  size_t fired = 0;
  while (pending.next != &pending) {
    auto* t = static_cast<WheelTimer*>(pending.next);
    unlink(*t);
    if (t->due_ms_ > now) {  // a later turn
      link_before(slot, *t);
      continue;
    }
    t->wheel_ = nullptr;
    --size_;
    ++fired;
    t->on_timer();
  }
  return fired;
}

size_t TimingWheel::advance(uint64_t now) {
  const uint64_t target = now / tick_ms_;
  size_t fired = 0;
  while (current_tick_ < target) {
    ++current_tick_;
    Slot& s = slots_[current_tick_ % slots_.size()];
    fired += fire_timers(s.timers, now);
    auto& slot = s.entries;
    if (slot.empty()) continue;
    firing_.clear();
    // Split the slot: due entries fire, later turns stay.
    size_t keep = 0;
    for (auto& e : slot) {
      if (e.due_ms <= now)
        firing_.push_back(std::move(e));
      else
        slot[keep++] = std::move(e);
    }
    slot.resize(keep);
    size_ -= firing_.size();
    // Callbacks may schedule more entries (possibly into this very slot).
    std::vector<Entry> batch;
    batch.swap(firing_);
    for (auto& e : batch) {
      e.cb();
      ++fired;
    }
    batch.clear();
    if (firing_.capacity() < batch.capacity()) firing_.swap(batch);
  }
  return fired;
}

}  // namespace sb::net
