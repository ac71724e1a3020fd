#include "net/listener.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/socket_base.hpp>

#include "net/worker.hpp"

namespace sb::net {

using boost::asio::ip::tcp;

Listener::Listener(Worker& worker, const std::string& host, uint16_t port, OnAccept on_accept)
    : worker_(worker), acceptor_(worker.io()), on_accept_(std::move(on_accept)) {
  tcp::endpoint ep(boost::asio::ip::make_address(host), port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
  int one = 1;
  ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  acceptor_.bind(ep);
  acceptor_.listen(4096);
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
  acceptor_.close(ec);
}

void Listener::accept() {
  acceptor_.async_accept(worker_.io(), [self = shared_from_this()](
                                           const boost::system::error_code& ec, tcp::socket s) {
    if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      self->on_accept_(std::move(s));
    } else if (ec == boost::asio::error::no_descriptors || ec.value() == ENFILE) {
      // accept() fails before it looks at the queue, so retrying at once would spin
      // and leave the client hanging. Spend the reserve descriptor to take the
      // pending connection and close it (the client learns now), then wait until
      // another one is queued before trying again.
      self->shed_one();
      self->acceptor_.async_wait(tcp::acceptor::wait_read,
                                 [self](const boost::system::error_code& wec) {
                                   if (wec || !self->acceptor_.is_open()) return;
                                   self->accept();
                                 });
      return;
    }
    self->accept();
  });
}

void Listener::shed_one() {
  if (shed_count_++ % 1000 == 0)
    spdlog::warn("out of file descriptors: refusing new connections ({} so far)", shed_count_);
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
  }
  int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) ::close(fd);
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace sb::net
