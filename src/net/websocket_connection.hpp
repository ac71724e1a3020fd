#pragma once
// A WebSocket connection framed by hand over the raw socket: no read buffer is
// held while idle (reads go into the worker's buffer; only a partial frame is
// kept), and writes are corked into one gather write per loop iteration.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/wire.hpp"
#include "net/worker.hpp"
#include "protocol/websocket_frame.hpp"

namespace sb::net {

class Worker;

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_ws_message(bool binary, std::string_view data) = 0;
  // The connection is gone (peer close, error, protocol violation, or our close).
  virtual void on_ws_closed(const char* reason) = 0;
};

struct WsLimits {
  uint64_t max_message_bytes = 1000000;
  // Queued and unsent; beyond it the connection is closed (1008 "slow consumer").
  uint64_t max_outbound_bytes = 16 * 1024 * 1024;
};

class WsConnection final : public std::enable_shared_from_this<WsConnection>, public Flushable {
 public:
  // A socket bound to the io_context's own executor rather than the
  // type-erased any_io_executor: 40 bytes smaller, and so is the read wait
  // each idle connection keeps pending.
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;

  WsConnection(Worker& worker, Socket socket, const WsLimits& limits);
  ~WsConnection();

  // Queues `handshake` (the 101 response) as the very first bytes out.
  void start(std::string handshake);
  // Processes bytes read with the upgrade request, then reads from the socket.
  void read(std::string leftover);

  // The handler must outlive its registration; set nullptr before it goes away.
  void set_handler(WsHandler* h) { handler_ = h; }

  // Queue a frame. Flushed when the read being handled ends (replies), else at
  // the end of this loop iteration (pushes from elsewhere). Owner worker only.
  void send(WirePtr wire);
  void send_text(std::string_view eio_packet) { send(make_text_wire(eio_packet)); }
  // True when the outbound queue is empty (used to drop volatile packets).
  bool writable() const { return queue_bytes_ == 0 && !writing_; }

  // Sends a close frame after what is queued, then closes. The handler is told
  // `reason` right away.
  void close(uint16_t code, std::string_view reason_text, const char* reason);
  // Closes the socket now without a close frame (simulated network drop).
  void abort(const char* reason);

  bool open() const { return state_ == State::Open; }
  Worker& worker() { return worker_; }

 private:
  enum class State { Open, Closing, Closed };

  void wait_readable();
  void on_readable();
  bool consume(uint8_t* data, size_t size, size_t& used);
  void handle_frame(ws::Opcode opcode, bool fin, std::string_view payload);
  void fail(uint16_t code, const char* reason);
  void notify_closed(const char* reason);
  void schedule_flush();
  void flush();
  void flush_now() override;
  void write_async();  // the rest of aw_->gather once the socket would block
  void shutdown_now();
  void cut_slow_consumer();
  void drop_queue();
  void begin_closing();
  void write_done();  // the write in flight is over: releases its buffers

  Worker& worker_;
  Socket socket_;
  const WsLimits& limits_;  // the server's, which outlives its connections
  WsHandler* handler_ = nullptr;
  // Only while a frame is incomplete or a fragmented message is in progress:
  // an idle connection keeps neither (about 110 bytes each).
  struct ReadState {
    explicit ReadState(uint64_t max_message_bytes) : assembler(max_message_bytes) {}
    std::string partial;             // incomplete frame bytes
    ws::MessageAssembler assembler;  // fragmentation state
  };
  ReadState& read_state();
  void release_read_state_if_idle();
  std::unique_ptr<ReadState> rs_;
  std::vector<WirePtr> queue_;
  // Only while an asynchronous write is in flight (the kernel did not take all).
  struct AsyncWrite {
    std::vector<WirePtr> inflight;
    std::vector<boost::asio::const_buffer> gather;
  };
  std::unique_ptr<AsyncWrite> aw_;
  uint64_t queue_bytes_ = 0;
  uint64_t inflight_bytes_ = 0;  // handed to the socket, not yet all written
  State state_ = State::Open;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool read_pending_ = false;
  bool close_after_flush_ = false;
};

}  // namespace sb::net
