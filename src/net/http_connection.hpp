#pragma once
// One accepted TCP connection speaking HTTP/1.1 (keep-alive, one request at a
// time). A WebSocket upgrade detaches the raw socket so it can move to the
// worker that owns the Engine.IO session.
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "net/http_request.hpp"
#include "net/http_response.hpp"
#include "net/timing_wheel.hpp"

namespace sb::net {

class Worker;
class HttpConnection;

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 1000000;
  uint32_t idle_timeout_ms = 60000;  // keep-alive connection with no request
};

// Who is at the other end when the socket cannot tell: a TLS connection's
// plain-text side is a socketpair (see tls_terminator.hpp).
struct PeerInfo {
  std::string address;  // empty: the socket's remote endpoint
  bool secure = false;  // arrived over TLS
};

// What the server does with a complete request. Called on the connection's worker.
using RequestHandler = std::function<void(std::shared_ptr<HttpConnection>, HttpRequest&&)>;
// Headers for error replies the connection makes itself (400/413/431), e.g. CORS.
using ErrorDecorator = std::function<void(const HttpRequest*, HttpResponse&)>;

// The idle check is the connection's embedded wheel timer: a connection that
// is detached (upgraded) or closed leaves no entry behind in the wheel.
class HttpConnection final : public std::enable_shared_from_this<HttpConnection>,
                             private WheelTimer {
 public:
  HttpConnection(Worker& worker, boost::asio::ip::tcp::socket socket, const HttpLimits& limits,
                 RequestHandler handler, PeerInfo peer = {});
  ~HttpConnection();

  void start();

  // Answers the current request. Thread-safe (posts to the owning worker).
  void respond(HttpResponse response);
  // Called when the peer goes away while a response is pending (a dropped long-poll).
  void on_abort(std::function<void()> cb);
  bool waiting() const { return state_ == State::Waiting; }

  struct Detached {
    int fd = -1;
    std::string leftover;  // bytes read past the request (first WebSocket frames)
  };
  // Releases the socket for a WebSocket upgrade. The connection is finished afterwards.
  Detached detach();

  // Writes `raw` and closes (used for raw upgrade refusals).
  void write_and_close(std::string raw);

  // Headers added to the next response (CORS for the current request). Set on
  // the connection's worker before handing the request elsewhere.
  void set_response_headers(std::vector<std::pair<std::string, std::string>> h) {
    extra_headers_ = std::move(h);
  }

  Worker& worker() { return worker_; }
  const std::string& remote_address() const { return remote_; }

 private:
  enum class State { Reading, Waiting, Writing, Draining, Closed };
  struct Parser;

  void wait_readable();
  void on_readable();
  void process_input();
  void reply_error(int status, const char* message);
  void do_respond(HttpResponse response);
  void finish();
  void close();
  void check_idle();
  void on_timer() override;
  void drain();
  void drain_step();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  HttpLimits limits_;
  RequestHandler handler_;
  std::unique_ptr<Parser> parser_;
  std::string inbuf_;
  std::string outbuf_;
  std::string remote_;
  bool secure_ = false;
  std::function<void()> abort_cb_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  State state_ = State::Reading;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool read_pending_ = false;
  uint64_t last_activity_ms_ = 0;
  uint64_t drain_deadline_ms_ = 0;
  uint64_t drain_budget_ = 0;
};

}  // namespace sb::net
