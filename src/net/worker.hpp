#pragma once
// A worker: one thread, one event loop, one timing wheel, one read buffer.
// Every connection belongs to exactly one worker for life; other threads talk
// to a worker only by posting to it.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "net/timing_wheel.hpp"

namespace sb::net {

// Something with output queued during this loop turn (see Worker::defer_flush).
class Flushable {
 public:
  virtual void flush_now() = 0;

 protected:
  ~Flushable() = default;
};

class Worker {
 public:
  explicit Worker(unsigned index, uint32_t tick_ms = 10);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  unsigned index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  TimingWheel& wheel() { return wheel_; }

  // Shared scratch buffer for reads: valid only until the handler returns.
  std::vector<uint8_t>& read_buffer() { return read_buffer_; }

  // Bytes queued and unsent on this worker's WebSocket connections (their
  // outbound queues report changes; owner thread only, read by metrics there).
  uint64_t outbound_bytes() const { return outbound_bytes_; }
  void add_outbound_bytes(int64_t delta) { outbound_bytes_ += static_cast<uint64_t>(delta); }

  // True once a thread runs (or ran) the loop.
  bool loop_started() const {
    return thread_id_.load(std::memory_order_relaxed) != std::thread::id{};
  }

  bool in_this_thread() const {
    return std::this_thread::get_id() == thread_id_.load(std::memory_order_relaxed);
  }

  template <class F>
  void post(F&& f) {
    boost::asio::post(io_, std::forward<F>(f));
  }
  // Runs `f` now when already on this worker's thread, else posts it.
  template <class F>
  void dispatch(F&& f) {
    if (in_this_thread())
      f();
    else
      post(std::forward<F>(f));
  }

  // Flushes `f` once the current handlers are done, together with every other
  // connection written to in this turn: one posted task per turn, not one per
  // connection (a room fan-out touches thousands). Owner thread only.
  void defer_flush(std::shared_ptr<Flushable> f) {
    pending_flush_.push_back(std::move(f));
    if (!flush_posted_) {
      flush_posted_ = true;
      post([this] { run_flushes(); });
    }
  }

  void start();  // spawns the thread
  void stop();   // stops the loop (from any thread)
  void join();
  // Runs the loop on the calling thread (tests).
  void run_here();

 private:
  void arm_tick();
  void run_flushes();

  unsigned index_;
  boost::asio::io_context io_{1};
  TimingWheel wheel_;
  boost::asio::steady_timer tick_timer_;
  std::vector<uint8_t> read_buffer_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::vector<std::shared_ptr<Flushable>> pending_flush_;
  std::vector<std::shared_ptr<Flushable>> flushing_;
  bool flush_posted_ = false;
  uint64_t outbound_bytes_ = 0;
};

}  // namespace sb::net
