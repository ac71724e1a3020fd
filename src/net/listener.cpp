#include "net/listener.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/socket_base.hpp>
#include <chrono>

#include "net/overload_counters.hpp"
#include "net/worker.hpp"

namespace sb::net {

using boost::asio::ip::tcp;

static constexpr int kPauseMs = 100;
static constexpr size_t kMaxShedPerPause = 256;

Listener::Listener(Worker& worker, const std::string& host, uint16_t port, OnAccept on_accept)
    : worker_(worker),
      acceptor_(worker.io()),
      pause_timer_(worker.io()),
      on_accept_(std::move(on_accept)) {
  tcp::endpoint ep(boost::asio::ip::make_address(host), port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
  int one = 1;
  ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  acceptor_.bind(ep);
  acceptor_.listen(4096);
  acceptor_.native_non_blocking(true);  // shed_pending() must not block on an empty queue
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

Listener::~Listener() {
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

uint16_t Listener::port() const {
  return acceptor_.local_endpoint().port();
}

void Listener::start() {
  accept();
}

void Listener::stop() {
  boost::system::error_code ec;
  pause_timer_.cancel();
  acceptor_.close(ec);
}

void Listener::accept() {
  acceptor_.async_accept(worker_.io(), [self = shared_from_this()](
                                           const boost::system::error_code& ec, tcp::socket s) {
    if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      if (self->starved_) {
        self->starved_ = false;
        spdlog::info("accepting connections again after {} pause(s) for lack of descriptors",
                     self->episode_pauses_);
      }
      self->on_accept_(std::move(s));
    } else if (ec == boost::asio::error::no_descriptors || ec.value() == ENFILE) {
      // accept() fails before it takes the connection off the queue, so the
      // socket stays readable: retrying at once would spin.
      self->pause();
      return;
    }
    self->accept();
  });
}

void Listener::pause() {
  auto& counters = overload_counters();
  counters.accept_pauses.fetch_add(1, std::memory_order_relaxed);
  ++episode_pauses_;
  const size_t shed = shed_pending();
  if (!starved_) {
    starved_ = true;
    episode_pauses_ = 1;
    spdlog::warn(
        "out of file descriptors: pausing accepts for {} ms at a time, closing queued "
        "connections ({} now); raise the open-files limit (ulimit -n)",
        kPauseMs, shed);
  }
  pause_timer_.expires_after(std::chrono::milliseconds(kPauseMs));
  pause_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || !self->acceptor_.is_open()) return;
    self->accept();
  });
}

size_t Listener::shed_pending() {
  // The clients queued now would wait unanswered in the backlog: close them so
  // that they learn at once (and retry, possibly elsewhere).
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
  }
  size_t n = 0;
  for (; n < kMaxShedPerPause; ++n) {
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) break;  // EAGAIN: none left; EMFILE: another thread took the spare
    ::close(fd);
  }
  overload_counters().accept_shed.fetch_add(n, std::memory_order_relaxed);
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return n;
}

}  // namespace sb::net
