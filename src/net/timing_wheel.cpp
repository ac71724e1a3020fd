#include "net/timing_wheel.hpp"

#include <chrono>

namespace sb::net {

TimingWheel::TimingWheel(uint32_t tick_ms, uint32_t slots)
    : tick_ms_(tick_ms ? tick_ms : 1),
      slots_(slots ? slots : 1),
      current_tick_(now_ms() / tick_ms_) {}

uint64_t TimingWheel::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void TimingWheel::schedule_at(uint64_t due_ms, Callback cb) {
  uint64_t tick = (due_ms + tick_ms_ - 1) / tick_ms_;
  // Never schedule into a tick already processed: it would wait a full turn.
  if (tick <= current_tick_) tick = current_tick_ + 1;
  slots_[tick % slots_.size()].push_back(Entry{due_ms, std::move(cb)});
  ++size_;
}

size_t TimingWheel::advance(uint64_t now) {
  const uint64_t target = now / tick_ms_;
  size_t fired = 0;
  while (current_tick_ < target) {
    ++current_tick_;
    auto& slot = slots_[current_tick_ % slots_.size()];
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
