#include "store/inbox_thread.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace sb::store {

int64_t InboxThread::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

InboxThread::InboxThread(std::unique_ptr<InboxStore> store, Retention retention,
                         uint32_t prune_interval_ms, size_t max_batch)
    : store_(std::move(store)),
      retention_(retention),
      prune_interval_ms_(prune_interval_ms),
      max_batch_(max_batch ? max_batch : 1) {
  thread_ = std::thread([this] { run(); });
}

InboxThread::~InboxThread() {
  stop();
}

bool InboxThread::post(Job job) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void InboxThread::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void InboxThread::run() {
  using clock = std::chrono::steady_clock;
  const bool prunes = retention_.max_age_ms > 0 || retention_.max_per_user > 0;
  auto next_prune = clock::now();  // once at start: a file reopened after a long pause
  std::deque<Job> batch;
  for (;;) {
    bool prune_now = false;
    {
      std::unique_lock lk(mu_);
      auto ready = [&] { return stopping_ || !queue_.empty(); };
      const bool timed = prunes && prune_interval_ms_ > 0;
      if (timed)
        cv_.wait_until(lk, next_prune, ready);
      else
        cv_.wait(lk, ready);
      // Checked on every wake-up, so a steady stream of jobs cannot postpone it.
      prune_now = timed && clock::now() >= next_prune;
      if (queue_.empty() && stopping_) return;  // drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (prune_now) {
      next_prune = clock::now() + std::chrono::milliseconds(prune_interval_ms_);
      try {
        if (uint64_t n = store_->prune(retention_, now_ms()))
          spdlog::info("inbox: retention removed {} notification(s)", n);
      } catch (const std::exception& e) {
        spdlog::error("inbox: retention failed: {}", e.what());
      }
    }
    if (!batch.empty()) run_batch(batch);
  }
}

void InboxThread::run_batch(std::deque<Job>& jobs) {
  bool in_tx = true;
  try {
    store_->begin();
  } catch (const std::exception& e) {
    // Without a transaction each statement commits on its own: slower, still correct.
    spdlog::warn("inbox: cannot begin a transaction: {}", e.what());
    in_tx = false;
  }
  std::vector<After> afters;
  afters.reserve(jobs.size());
  for (auto& job : jobs) {
    try {
      if (auto after = job(*store_)) afters.push_back(std::move(after));
    } catch (const std::exception& e) {
      spdlog::error("inbox: job failed: {}", e.what());
    }
  }
  jobs.clear();
  bool committed = true;
  if (in_tx) {
    try {
      store_->commit();
    } catch (const std::exception& e) {
      spdlog::error("inbox: commit failed, {} change(s) lost: {}", afters.size(), e.what());
      committed = false;
      try {
        store_->rollback();
      } catch (const std::exception&) {
      }
    }
  }
  for (auto& after : afters) {
    try {
      after(committed);
    } catch (const std::exception& e) {
      spdlog::error("inbox: continuation failed: {}", e.what());
    }
  }
}

}  // namespace sb::store
