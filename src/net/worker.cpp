#include "net/worker.hpp"

#include <chrono>

namespace sb::net {

Worker::Worker(unsigned index, uint32_t tick_ms)
    : index_(index), wheel_(tick_ms), tick_timer_(io_), read_buffer_(64 * 1024) {}

Worker::~Worker() {
  stop();
  join();
}

void Worker::arm_tick() {
  // Fixed-rate ticks (from the last expiry, not from now) so timers do not drift.
  const auto tick = std::chrono::milliseconds(wheel_.tick_ms());
  if (tick_timer_.expiry() == decltype(tick_timer_)::time_point{})
    tick_timer_.expires_after(tick);
  else
    tick_timer_.expires_at(tick_timer_.expiry() + tick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    wheel_.advance(TimingWheel::now_ms());
    arm_tick();
  });
}

void Worker::run_flushes() {
  flush_posted_ = false;
  flushing_.swap(pending_flush_);  // flushes may defer more (for the next turn)
  for (auto& f : flushing_) f->flush_now();
  flushing_.clear();  // keeps the capacity
}

void Worker::run_here() {
  thread_id_ = std::this_thread::get_id();
  arm_tick();
  io_.run();
}

void Worker::start() {
  thread_ = std::thread([this] { run_here(); });
}

void Worker::stop() {
  io_.stop();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace sb::net
