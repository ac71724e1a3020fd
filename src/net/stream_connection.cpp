#include "net/stream_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/write.hpp>

#include "net/worker.hpp"

namespace sb::net {

using boost::asio::ip::tcp;

tcp::socket adopt_socket(Worker& worker, int fd) {
  tcp::socket sock(worker.io());
  if (fd < 0) return sock;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  boost::system::error_code ec;
  sock.assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) ::close(fd);
  return sock;
}

StreamConnection::StreamConnection(Worker& worker, tcp::socket socket, uint64_t max_outbound_bytes,
                                   std::string remote_address)
    : worker_(worker), socket_(std::move(socket)), max_outbound_bytes_(max_outbound_bytes) {
  boost::system::error_code ec;
  remote_ = std::move(remote_address);  // a TLS connection's socket is a socketpair
  if (remote_.empty()) {
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

StreamConnection::~StreamConnection() = default;

void StreamConnection::start() {
  wait_readable();
}

void StreamConnection::wait_readable() {
  if (read_pending_ || state_ == State::Closed) return;
  read_pending_ = true;
  socket_.async_wait(
      tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->read_pending_ = false;
        if (ec || self->state_ == State::Closed) return;
        auto& buf = self->worker_.read_buffer();
        boost::system::error_code rec;
        size_t n = self->socket_.read_some(boost::asio::buffer(buf), rec);
        if (rec == boost::asio::error::would_block || rec == boost::asio::error::try_again)
          return self->wait_readable();
        if (rec || n == 0) {
          self->notify_closed("transport close");
          return self->shutdown_now();
        }
        self->wait_readable();  // a stream's peer has nothing to say: discard
      });
}

void StreamConnection::send(std::string bytes) {
  auto s = std::make_shared<const std::string>(std::move(bytes));
  std::string_view v = *s;
  send(std::move(s), v);
}

void StreamConnection::send(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (state_ != State::Open || bytes.empty()) return;
  activity_ = true;
  pending_bytes_ += bytes.size();
  queue_.push_back(Chunk{std::move(owner), boost::asio::const_buffer(bytes.data(), bytes.size())});
  if (pending_bytes_ > max_outbound_bytes_) {
    // Slow consumer: it cannot keep up, so it goes rather than growing our
    // memory. Deferred: the caller may be iterating over the subscribers.
    queue_.clear();
    state_ = State::Closing;
    worker_.post([self = shared_from_this()] {
      self->notify_closed("slow consumer");
      self->shutdown_now();
    });
    return;
  }
  schedule_flush();
}

void StreamConnection::schedule_flush() {
  if (flush_scheduled_ || writing_) return;
  flush_scheduled_ = true;
  worker_.post([self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void StreamConnection::flush() {
  if (writing_ || state_ == State::Closed) return;
  if (queue_.empty()) {
    if (close_after_flush_) shutdown_now();
    return;
  }
  inflight_.swap(queue_);
  gather_.clear();
  for (auto& c : inflight_) gather_.push_back(c.bytes);
  writing_ = true;
  boost::asio::async_write(
      socket_, gather_, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        self->writing_ = false;
        for (auto& c : self->inflight_) self->pending_bytes_ -= c.bytes.size();
        self->inflight_.clear();
        if (ec) {
          self->notify_closed("transport error");
          return self->shutdown_now();
        }
        self->flush();
      });
}

void StreamConnection::notify_closed(const char* reason) {
  if (auto cb = std::move(on_closed_)) {
    on_closed_ = nullptr;
    cb(reason);
  }
}

void StreamConnection::close(const char* reason) {
  if (state_ != State::Open) return;
  state_ = State::Closing;
  close_after_flush_ = true;
  notify_closed(reason);
  if (!writing_) schedule_flush();
  // Do not wait forever for a peer that never reads.
  std::weak_ptr<StreamConnection> weak = weak_from_this();
  worker_.wheel().schedule_in(5000, [weak] {
    if (auto self = weak.lock()) self->shutdown_now();
  });
}

void StreamConnection::abort(const char* reason) {
  notify_closed(reason);
  shutdown_now();
}

void StreamConnection::shutdown_now() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  queue_.clear();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace sb::net
