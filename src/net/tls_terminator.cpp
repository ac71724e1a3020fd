#include "net/tls_terminator.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "net/tls_counters.hpp"
#include "net/worker.hpp"

namespace sb::net {

namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;
using boost::asio::local::stream_protocol;
using boost::system::error_code;

// How long a closing connection waits for the client's close_notify.
static constexpr uint32_t kCloseNotifyMs = 2000;

namespace {

// One TLS connection: the handshake, then two copy loops with one buffer each
// (TLS -> plain, plain -> TLS). A loop reads again only once its write has
// finished, so a side that does not read stops the other side's reads.
class TlsPump : public std::enable_shared_from_this<TlsPump> {
 public:
  TlsPump(Worker& worker, tcp::socket socket, TlsContextPtr ctx, PlainAccept on_plain,
          const TlsOptions& options)
      : worker_(worker),
        ctx_(std::move(ctx)),
        tls_(std::move(socket), *ctx_),
        plain_(worker.io()),
        timer_(worker.io()),
        on_plain_(std::move(on_plain)),
        options_(options) {
    error_code ec;
    auto ep = tls_.next_layer().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    tls_.next_layer().set_option(tcp::no_delay(true), ec);
  }

  void start() {
    timer_.expires_after(std::chrono::milliseconds(options_.handshake_timeout_ms));
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->handshaken_ || self->closed_) return;
      self->handshake_failed("timed out");
    });
    tls_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
  }

 private:
  void handshake_failed(const std::string& why) {
    tls_counters().handshakes_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("tls: handshake with {} failed: {}", remote_, why);
    close_all();
  }

  void on_handshake(const error_code& ec) {
    if (closed_) return;  // timed out (counted there)
    timer_.cancel();
    if (ec) return handshake_failed(ec.message());
    handshaken_ = true;
    tls_counters().handshakes_ok.fetch_add(1, std::memory_order_relaxed);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      // Out of descriptors, most likely: the listener warns about that once per episode.
      spdlog::debug("tls: no socketpair for a connection from {}: {}", remote_,
                    std::strerror(errno));
      return close_all();
    }
    error_code aec;
    plain_.assign(stream_protocol(), fds[1], aec);
    if (aec) ::close(fds[1]);
    tcp::socket app(worker_.io());
    error_code bec;
    app.assign(tcp::v4(), fds[0], bec);  // the connection classes take TCP sockets; any fd works
    if (bec) ::close(fds[0]);
    if (aec || bec) {
      spdlog::warn("tls: cannot register a socketpair: {}", (aec ? aec : bec).message());
      return close_all();
    }
    in_.resize(options_.buffer_bytes);
    out_.resize(options_.buffer_bytes);
    auto on_plain = std::move(on_plain_);
    on_plain(std::move(app), remote_);
    read_tls();
    read_plain();
  }

  void read_tls() {
    tls_.async_read_some(
        boost::asio::buffer(in_), [self = shared_from_this()](const error_code& ec, size_t n) {
          if (self->closed_ || self->shutting_down_) return;  // the shutdown reads for itself
          if (ec) return self->tls_ended(ec);
          boost::asio::async_write(self->plain_, boost::asio::buffer(self->in_.data(), n),
                                   [self](const error_code& wec, size_t) {
                                     if (self->closed_ || self->shutting_down_) return;
                                     if (wec) return self->close_all();
                                     self->read_tls();
                                   });
        });
  }

  // The client is done sending. After a close_notify the app gets an EOF and
  // may still answer; a broken connection has no one left to answer.
  void tls_ended(const error_code& ec) {
    if (ec != boost::asio::error::eof) return close_all();
    error_code sec;
    plain_.shutdown(stream_protocol::socket::shutdown_send, sec);
  }

  void read_plain() {
    plain_.async_read_some(
        boost::asio::buffer(out_), [self = shared_from_this()](const error_code& ec, size_t n) {
          if (self->closed_) return;
          if (ec) return self->plain_ended();
          boost::asio::async_write(self->tls_, boost::asio::buffer(self->out_.data(), n),
                                   [self](const error_code& wec, size_t) {
                                     if (self->closed_) return;
                                     if (wec) return self->close_all();
                                     self->read_plain();
                                   });
        });
  }

  // The app closed its side and all it wrote has gone out: send close_notify,
  // wait a little for the client's, then close.
  void plain_ended() {
    shutting_down_ = true;
    timer_.expires_after(std::chrono::milliseconds(kCloseNotifyMs));
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->close_all();
    });
    tls_.async_shutdown([self = shared_from_this()](const error_code&) { self->close_all(); });
  }

  void close_all() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ec;
    tls_.next_layer().close(ec);
    plain_.close(ec);
  }

  Worker& worker_;
  TlsContextPtr ctx_;  // before tls_, which refers to it
  ssl::stream<tcp::socket> tls_;
  stream_protocol::socket plain_;
  boost::asio::steady_timer timer_;
  PlainAccept on_plain_;
  TlsOptions options_;
  std::string remote_;
  std::vector<uint8_t> in_;   // TLS -> plain
  std::vector<uint8_t> out_;  // plain -> TLS
  bool handshaken_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
};

}  // namespace

void start_tls_session(Worker& worker, tcp::socket socket, TlsContextPtr ctx, PlainAccept on_plain,
                       const TlsOptions& options) {
  std::make_shared<TlsPump>(worker, std::move(socket), std::move(ctx), std::move(on_plain), options)
      ->start();
}

}  // namespace sb::net
