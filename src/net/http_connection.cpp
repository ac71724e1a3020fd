#include "net/http_connection.hpp"

#include <boost/asio/write.hpp>

#include "net/http_parser.hpp"
#include "net/worker.hpp"

namespace sb::net {

using boost::asio::ip::tcp;

struct HttpConnection::Parser : HttpRequestParser {
  void reset(const HttpLimits& limits) {
    HttpRequestParser::reset(limits.max_header_bytes, limits.max_body_bytes);
  }
};

HttpConnection::HttpConnection(Worker& worker, tcp::socket socket, const HttpLimits& limits,
                               RequestHandler handler, PeerInfo peer)
    : worker_(worker),
      socket_(std::move(socket)),
      limits_(limits),
      handler_(std::move(handler)),
      parser_(std::make_unique<Parser>()),
      remote_(std::move(peer.address)),
      secure_(peer.secure) {
  boost::system::error_code ec;
  if (remote_.empty()) {
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::start() {
  parser_->reset(limits_);
  last_activity_ms_ = TimingWheel::now_ms();
  check_idle();
  wait_readable();
}

void HttpConnection::check_idle() {
  worker_.wheel().schedule_at(*this, TimingWheel::now_ms() + limits_.idle_timeout_ms);
}

void HttpConnection::on_timer() {
  if (state_ == State::Closed) return;
  // A request still being read or a long-poll in progress counts as activity
  // only while bytes keep coming; a pending response is the gateway's to end.
  const uint64_t idle = TimingWheel::now_ms() - last_activity_ms_;
  if (state_ == State::Reading && idle >= limits_.idle_timeout_ms) {
    auto self = shared_from_this();
    close();
    return;
  }
  check_idle();
}

void HttpConnection::wait_readable() {
  if (read_pending_ || state_ == State::Closed) return;
  read_pending_ = true;
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->read_pending_ = false;
                       if (ec || self->state_ == State::Closed) return;
                       self->on_readable();
                     });
}

void HttpConnection::on_readable() {
  auto& buf = worker_.read_buffer();
  boost::system::error_code ec;
  size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    wait_readable();
    return;
  }
  if (ec || n == 0) {
    // Peer closed or reset.
    if (state_ == State::Waiting && abort_cb_) {
      auto cb = std::move(abort_cb_);
      abort_cb_ = nullptr;
      cb();
    }
    close();
    return;
  }
  last_activity_ms_ = TimingWheel::now_ms();
  if (inbuf_.size() + n > limits_.max_header_bytes + limits_.max_body_bytes + 65536) {
    close();
    return;
  }
  inbuf_.append(reinterpret_cast<const char*>(buf.data()), n);
  if (state_ == State::Reading) process_input();
  if (state_ != State::Closed) wait_readable();
}

void HttpConnection::process_input() {
  HttpRequest req;
  switch (parser_->feed(inbuf_, req)) {
    case HttpRequestParser::Status::NeedMore:
      return;
    case HttpRequestParser::Status::BodyTooLarge:
      reply_error(413, "Payload Too Large");
      return;
    case HttpRequestParser::Status::HeadersTooLarge:
      reply_error(431, "Request Header Fields Too Large");
      return;
    case HttpRequestParser::Status::BadRequest:
      reply_error(400, "Bad Request");
      return;
    case HttpRequestParser::Status::Done:
      break;
  }
  req.remote_address = remote_;
  req.secure = secure_;
  keep_alive_ = req.keep_alive;
  state_ = State::Waiting;
  handler_(shared_from_this(), std::move(req));
}

void HttpConnection::reply_error(int status, const char* message) {
  const char* code = status == 413   ? "payload_too_large"
                     : status == 431 ? "headers_too_large"
                                     : "bad_request";
  HttpResponse r = api_error(status, code, message);
  r.close = true;
  state_ = State::Waiting;
  do_respond(std::move(r));
}

void HttpConnection::respond(HttpResponse response) {
  worker_.dispatch([self = shared_from_this(), r = std::move(response)]() mutable {
    self->do_respond(std::move(r));
  });
}

void HttpConnection::on_abort(std::function<void()> cb) {
  abort_cb_ = std::move(cb);
}

void HttpConnection::do_respond(HttpResponse response) {
  if (state_ != State::Waiting) return;  // connection gone or already answered
  abort_cb_ = nullptr;
  for (auto& h : extra_headers_) response.headers.push_back(std::move(h));
  extra_headers_.clear();
  close_after_write_ = response.close || !keep_alive_;
  outbuf_ = serialize(response, !close_after_write_);
  state_ = State::Writing;
  boost::asio::async_write(
      socket_, boost::asio::buffer(outbuf_),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        if (ec) {
          self->close();
          return;
        }
        self->finish();
      });
}

void HttpConnection::finish() {
  outbuf_.clear();
  outbuf_.shrink_to_fit();
  if (close_after_write_) {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    drain();
    return;
  }
  state_ = State::Reading;
  last_activity_ms_ = TimingWheel::now_ms();
  parser_->reset(limits_);
  if (!inbuf_.empty()) process_input();
  wait_readable();
}

// After an error reply the peer may still be sending (an oversized body).
// Closing with unread bytes would reset the connection and lose our reply, so
// read and discard for a bounded time and amount, then close.
void HttpConnection::drain() {
  state_ = State::Draining;
  inbuf_.clear();
  inbuf_.shrink_to_fit();
  drain_deadline_ms_ = TimingWheel::now_ms() + 2000;
  drain_budget_ = 64ull * 1024 * 1024;
  std::weak_ptr<HttpConnection> weak = weak_from_this();
  worker_.wheel().schedule_at(drain_deadline_ms_, [weak] {
    if (auto self = weak.lock(); self && self->state_ == State::Draining) self->close();
  });
  drain_step();
}

void HttpConnection::drain_step() {
  socket_.async_wait(
      tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
        if (self->state_ != State::Draining) return;
        if (ec) return self->close();
        boost::system::error_code rec;
        size_t n = self->socket_.read_some(boost::asio::buffer(self->worker_.read_buffer()), rec);
        if (rec == boost::asio::error::would_block) return self->drain_step();
        if (rec || n == 0 || n >= self->drain_budget_ ||
            TimingWheel::now_ms() > self->drain_deadline_ms_)
          return self->close();
        self->drain_budget_ -= n;
        self->drain_step();
      });
}

void HttpConnection::write_and_close(std::string raw) {
  outbuf_ = std::move(raw);
  close_after_write_ = true;
  state_ = State::Writing;
  boost::asio::async_write(socket_, boost::asio::buffer(outbuf_),
                           [self = shared_from_this()](const boost::system::error_code&, size_t) {
                             boost::system::error_code ec;
                             self->socket_.shutdown(tcp::socket::shutdown_send, ec);
                             self->close();
                           });
}

HttpConnection::Detached HttpConnection::detach() {
  Detached d;
  d.leftover = std::move(inbuf_);
  boost::system::error_code ec;
  d.fd = socket_.release(ec);
  if (ec) d.fd = -1;
  state_ = State::Closed;
  cancel_timer();
  abort_cb_ = nullptr;
  return d;
}

void HttpConnection::close() {
  if (state_ == State::Closed && !socket_.is_open()) return;
  state_ = State::Closed;
  cancel_timer();
  abort_cb_ = nullptr;
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace sb::net
