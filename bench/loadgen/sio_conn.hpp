#pragma once
// One Socket.IO client over a raw WebSocket (no polling, no upgrade):
// TCP connect from a chosen loopback source, HTTP Upgrade, Engine.IO OPEN,
// Socket.IO CONNECT, then events. Answers Engine.IO pings. Lives on one
// worker thread; every method must be called there.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime.hpp"

namespace sbl {

class SioConn : public std::enable_shared_from_this<SioConn> {
 public:
  // `payload` is the Socket.IO packet (Engine.IO '4' stripped), e.g. `2["tick",1]`.
  using MessageFn = std::function<void(SioConn&, std::string_view payload, int64_t now)>;
  using ReadyFn = std::function<void(SioConn&, const std::string& error)>;  // error empty = ok
  using CloseFn = std::function<void(SioConn&, const std::string& reason)>;

  SioConn(Runtime& rt, Worker& w) : rt_(rt), w_(w), sock_(w.ctx) {}

  // `connect_data`: JSON of the CONNECT packet's auth payload ("" for none).
  void start(asio::ip::address_v4 source, std::string connect_data, ReadyFn on_ready);

  // Sends a Socket.IO packet (without the Engine.IO '4'), e.g. `2["join","r"]`.
  void emit_packet(std::string_view sio_packet);
  void close();

  bool ready() const { return state_ == State::Ready; }
  Worker& worker() { return w_; }

  MessageFn on_message;
  CloseFn on_close;
  uint64_t tag = 0;       // scenario data (member index, user id, ...)
  uint64_t next_ack = 0;  // scenario-managed ack ids
  int64_t pending_since = 0;

 private:
  enum class State { Connecting, Upgrading, Opening, Joining, Ready, Closed };

  void fail(const std::string& why);
  void do_read();
  void on_read(size_t n);
  bool parse_upgrade();
  void parse_frames(int64_t now);
  void on_eio(std::string_view text, int64_t now);
  void send_frame(uint8_t opcode, std::string_view a, std::string_view b = {});
  void flush();

  Runtime& rt_;
  Worker& w_;
  tcp::socket sock_;
  State state_ = State::Connecting;
  std::string connect_data_;
  ReadyFn on_ready_;
  std::vector<uint8_t> rbuf_;
  size_t rlen_ = 0;
  std::string frag_;  // fragmented message being assembled
  std::string out_, wbuf_;
  bool writing_ = false;
  uint8_t mask_[4] = {0x5a, 0x17, 0xc3, 0x8e};
};

}  // namespace sbl
