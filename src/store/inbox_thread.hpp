#pragma once
// The inbox's own thread: owns an InboxStore and runs jobs on it, so no worker
// event loop waits on the disk. Jobs queued while the thread is busy run as one
// batch inside one transaction (one commit for many inserts); each job's
// continuation runs after the commit, on this thread, knowing whether it was
// committed, so nothing is pushed to clients before it is on disk. Retention
// is applied every `prune_interval_ms` (and by jobs on insert).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "store/inbox_store.hpp"

namespace sb::store {

class InboxThread {
 public:
  // Runs after the batch: `committed` is false when the transaction failed.
  using After = std::function<void(bool committed)>;
  // Runs on the inbox thread inside the batch's transaction. May throw: the
  // error is logged and the job's continuation is skipped; jobs that must
  // report failures catch their own exceptions.
  using Job = std::function<After(InboxStore&)>;

  InboxThread(std::unique_ptr<InboxStore> store, Retention retention, uint32_t prune_interval_ms,
              size_t max_batch = 256);
  ~InboxThread();
  InboxThread(const InboxThread&) = delete;
  InboxThread& operator=(const InboxThread&) = delete;

  // Thread-safe. False once stop() has begun (the job is not run).
  bool post(Job job);
  // Runs the queued jobs, then joins the thread. Idempotent.
  void stop();

  const Retention& retention() const { return retention_; }
  static int64_t now_ms();

 private:
  void run();
  void run_batch(std::deque<Job>& jobs);

  std::unique_ptr<InboxStore> store_;
  Retention retention_;
  uint32_t prune_interval_ms_;
  size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sb::store
