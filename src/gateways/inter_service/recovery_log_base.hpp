#pragma once
// The shell both shared recovery logs (recovery_log_redis.hpp,
// recovery_log_nats.hpp) run in; the engine supplies its connection, its
// commands and its two loops:
//  - a writer thread runs the engine's commands (jobs) in order. A job is
//    called with the engine's handle, or with null when the engine is
//    unavailable: it must then fail its caller. enqueue() refuses at once (the
//    job runs with null) when the log is not started, stopping, not ready
//    (writer_up() says no) or max_queued jobs wait: a caller is never hung;
//  - a reader thread follows the log and deliver()s each entry with its id as
//    the offset, keeping it in recent() for restores that finish late;
//  - fallback(): a broadcast the log refused is delivered here without an
//    offset and published on the cluster's pub/sub (not recoverable);
//  - stop() joins both threads and fails what is still queued.
// Templated on the engine's handle (redisContext, jsCtx); instantiated for
// both in recovery_log_base.cpp.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "gateways/client/shared_recovery.hpp"
#include "gateways/inter_service/recovery_recent.hpp"
#include "hub/log_limiter.hpp"

namespace sb::sio {
class SioServer;
}
namespace sb::emitter {
struct Broadcast;
}

namespace sb::inter_service {

class ClusterPublisher;

struct RecoveryLogOptions {
  std::string prefix = "socket.io";
  std::string uid;                     // this node's cluster uid (stored with each entry)
  sio::RecoveryOptions recovery;       // max_packets, max_disconnection_ms
  uint32_t restore_timeout_ms = 5000;  // a CONNECT waits no longer for the log
  uint32_t command_timeout_ms = 2000;  // one command or request to the engine
  size_t max_queued = 10000;           // commands waiting for the writer
  size_t recent_entries = 4096;        // entries this node keeps for restores finishing late
};

template <class Handle>
class RecoveryLogBase : public sio::SharedRecovery {
 public:
  // Joins the threads; what is queued fails (restores answer nullopt). An
  // engine's destructor calls it: the threads run the engine's functions.
  virtual void stop();
  // The reader is in place and the writer can take commands: appends are recorded.
  bool ready() const;

  std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> recent(
      protocol::StreamId after, protocol::StreamId upto) const override;
  uint32_t restore_timeout_ms() const override { return o_.restore_timeout_ms; }

 protected:
  using Job = std::function<void(Handle*)>;

  RecoveryLogBase(RecoveryLogOptions options, sio::SioServer& sio, ClusterPublisher& fallback);

  void start_threads();  // writer_loop() and reader_loop()
  virtual void writer_loop() = 0;
  virtual void reader_loop() = 0;
  // The writer has what it needs to run commands (called with mu_ held).
  virtual bool writer_up() const = 0;

  void enqueue(Job job);
  // Writer: waits up to a second for jobs or stop() and takes what is queued
  // (nothing when stopping). `lock` holds mu_.
  std::deque<Job> next_jobs(std::unique_lock<std::mutex>& lock);
  void fail_queued();  // runs every queued job with null (mu_ not held)
  void fallback(const emitter::Broadcast& b);

  // Reader side (mu_ not held).
  bool stopping() const;
  void pause(uint32_t ms);  // waits `ms` unless stop() comes first
  void reader_in_place();   // reader_ready_ = true
  // Entry `id` read from the log: delivered here and kept in recent().
  void deliver(protocol::StreamId id, std::string_view payload);

  const RecoveryLogOptions o_;
  sio::SioServer& sio_;
  hub::LogLimiter log_limiter_;
  RecentEntries recent_;  // what the reader delivered

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool reader_ready_ = false;  // the reader knows where the log was at start
  std::thread writer_;         // joinable: started

 private:
  ClusterPublisher& fallback_;
  std::deque<Job> jobs_;
  std::thread reader_;
};

}  // namespace sb::inter_service
