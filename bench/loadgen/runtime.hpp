#pragma once
// Threads (one io_context each), loopback source addresses, per-thread stats
// and the /proc readers the scenarios use.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "histogram.hpp"

namespace sbl {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Touched only by its own thread while it runs; read by the orchestrator
// through Runtime::on_each (which runs on that thread).
struct ThreadStats {
  Histogram latency;
  uint64_t received = 0;  // measured messages received
  uint64_t sent = 0;      // measured messages sent
  uint64_t errors = 0;
};

struct Worker {
  asio::io_context ctx{1};
  ThreadStats stats;
  // Every delivery ever received by this thread (warm-up and drain included),
  // read by the publisher for flow control and loss accounting.
  alignas(64) std::atomic<uint64_t> delivered{0};
  unsigned index = 0;
  std::thread thread;
};

struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 3000;
  std::string path = "/socket.io/";
  unsigned sources = 16;  // 127.0.0.1 .. 127.0.0.<sources>
};

class Runtime {
 public:
  Runtime(unsigned threads, const Target& target);
  ~Runtime();

  void start();
  void stop();

  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
  Worker& worker(unsigned i) { return *workers_[i]; }
  const tcp::endpoint& server() const { return server_; }
  // Round robin over the loopback source addresses.
  asio::ip::address_v4 next_source();
  const Target& target() const { return target_; }

  // Runs fn on every worker thread and waits for all of them.
  void on_each(const std::function<void(Worker&)>& fn);

  std::atomic<uint64_t> connected{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> closed{0};  // ready connections that closed afterwards
  std::atomic<uint64_t> in_flight{0};
  std::string first_error;  // guarded by error_mu_
  void note_error(const std::string& e);
  std::string error_summary();

 private:
  Target target_;
  tcp::endpoint server_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::atomic<uint32_t> source_rr_{0};
  std::mutex error_mu_;
  std::map<std::string, uint64_t> errors_;
};

// Opens `sock` for `server`'s protocol, bound to `source` when it is IPv4 (port
// chosen at connect time, so ports are per source address); any address = no
// bind. Sets TCP_NODELAY.
boost::system::error_code open_from(tcp::socket& sock, asio::ip::address_v4 source,
                                    const tcp::endpoint& server);

// /proc/<pid>/status VmRSS in KiB, 0 when unreadable.
uint64_t rss_kib(int pid);
// utime + stime of a process in seconds (/proc/<pid>/stat), -1 when unreadable.
double cpu_seconds(int pid);
// Own CPU time (getrusage).
double self_cpu_seconds();
// Soft RLIMIT_NOFILE raised to the hard limit; returns the new soft limit.
uint64_t raise_fd_limit();

}  // namespace sbl
