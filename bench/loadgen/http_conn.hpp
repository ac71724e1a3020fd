#pragma once
// Plain HTTP/1.1 clients for the scenarios: a keep-alive POST connection (the
// publish path, POST /api/emit) and a Server-Sent Events reader (GET /sse/...).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime.hpp"

namespace sbl {

// Case-insensitive header lookup in a raw header block; empty when absent.
std::string_view header_value(std::string_view head, std::string_view name);

// Incremental HTTP/1.1 response head parser shared by both clients.
struct ResponseHead {
  int status = 0;
  size_t head_len = 0;  // bytes including the blank line
  bool chunked = false;
  int64_t content_length = -1;
  std::string content_type;
};
// True when `data` holds a full head (fills `out`); false when more is needed.
bool parse_head(std::string_view data, ResponseHead& out);

class HttpPoster : public std::enable_shared_from_this<HttpPoster> {
 public:
  using DoneFn = std::function<void(int status)>;  // 0 = transport error
  HttpPoster(Runtime& rt, Worker& w) : rt_(rt), w_(w), sock_(w.ctx) {}

  void connect(asio::ip::address_v4 source, std::function<void(const std::string&)> on_ready);
  bool idle() const { return state_ == State::Idle; }
  bool dead() const { return state_ == State::Dead; }
  // One request at a time (no pipelining). `extra_headers` lines end in "\r\n".
  void post(std::string_view path, std::string_view extra_headers, std::string_view body,
            DoneFn done);

 private:
  enum class State { Connecting, Idle, Busy, Dead };
  void do_read();
  void fail(const std::string& why);

  Runtime& rt_;
  Worker& w_;
  tcp::socket sock_;
  State state_ = State::Connecting;
  std::string req_;
  std::string rbuf_;
  std::vector<char> chunk_;
  DoneFn done_;
};

class SseConn : public std::enable_shared_from_this<SseConn> {
 public:
  using EventFn = std::function<void(SseConn&, std::string_view data, int64_t now)>;
  // status: HTTP status of the response (0 = transport error before one).
  using ReadyFn = std::function<void(SseConn&, int status, const std::string& error)>;

  SseConn(Runtime& rt, Worker& w) : rt_(rt), w_(w), sock_(w.ctx) {}
  void start(asio::ip::address_v4 source, std::string path, ReadyFn on_ready);
  void close();
  bool ready() const { return state_ == State::Streaming; }

  EventFn on_event;
  uint64_t tag = 0;

 private:
  enum class State { Connecting, Head, Streaming, Closed };
  void do_read();
  void fail(const std::string& why);
  void feed_body(std::string_view bytes, int64_t now);
  void feed_text(std::string_view text, int64_t now);

  Runtime& rt_;
  Worker& w_;
  tcp::socket sock_;
  State state_ = State::Connecting;
  ReadyFn on_ready_;
  std::string rbuf_;
  std::vector<char> chunk_;
  ResponseHead head_;
  // chunked decoding
  bool in_chunk_size_ = true;
  uint64_t chunk_left_ = 0;
  int chunk_crlf_ = 0;
  std::string size_line_;
  // SSE parsing
  std::string line_, data_;
  bool has_data_ = false;
};

}  // namespace sbl
