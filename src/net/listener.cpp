#include "net/listener.hpp"

#include <sys/socket.h>
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
    if (!ec) self->on_accept_(std::move(s));
    // EMFILE and friends: keep accepting; the error is transient or logged by the caller.
    self->accept();
  });
}

}  // namespace sb::net
