#include "runtime.hpp"

#include <sys/resource.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

namespace sbl {

Runtime::Runtime(unsigned threads, const Target& target) : target_(target) {
  if (threads == 0) threads = 1;
  server_ = tcp::endpoint(asio::ip::make_address(target.host), target.port);
  for (unsigned i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    guards_.emplace_back(w->ctx.get_executor());
    workers_.push_back(std::move(w));
  }
}

Runtime::~Runtime() {
  stop();
}

void Runtime::start() {
  for (auto& w : workers_) {
    Worker* p = w.get();
    p->thread = std::thread([p] { p->ctx.run(); });
  }
}

void Runtime::stop() {
  guards_.clear();
  for (auto& w : workers_) w->ctx.stop();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

asio::ip::address_v4 Runtime::next_source() {
  if (!server_.address().is_v4() || !server_.address().to_v4().is_loopback() ||
      target_.sources <= 1)
    return asio::ip::address_v4::any();
  uint32_t n = source_rr_.fetch_add(1, std::memory_order_relaxed) % target_.sources;
  return asio::ip::address_v4((127u << 24) | (n + 1));
}

void Runtime::on_each(const std::function<void(Worker&)>& fn) {
  std::vector<std::future<void>> done;
  for (auto& w : workers_) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    Worker* wp = w.get();
    asio::post(wp->ctx, [p, wp, &fn] {
      fn(*wp);
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
}

void Runtime::note_error(const std::string& e) {
  std::lock_guard lk(error_mu_);
  if (first_error.empty()) first_error = e;
  ++errors_[e];
}

std::string Runtime::error_summary() {
  std::lock_guard lk(error_mu_);
  std::string out;
  for (auto& [e, n] : errors_) {
    if (!out.empty()) out += "; ";
    out += e + " x" + std::to_string(n);
  }
  return out;
}

uint64_t rss_kib(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

double cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name start at 3 (state); utime is 14 and stime 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

}  // namespace sbl
