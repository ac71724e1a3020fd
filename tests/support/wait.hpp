#pragma once
// Waiting for events in tests: poll a condition with a generous deadline.
// Deadlines only bound a hang; no test asserts on how fast something happens.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace sb::test {

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A thread-safe list filled by callbacks on a worker and read by the test.
template <class T>
class Collector {
 public:
  void add(T v) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(v));
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  std::vector<T> items() const {
    std::lock_guard lock(mu_);
    return items_;
  }
  bool wait_for_size(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return wait_until([&] { return size() >= n; }, timeout);
  }

 private:
  mutable std::mutex mu_;
  std::vector<T> items_;
};

}  // namespace sb::test
