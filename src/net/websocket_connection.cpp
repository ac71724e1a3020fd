#include "net/websocket_connection.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/write.hpp>

#include "net/exact_allocator.hpp"
#include "net/overload_counters.hpp"
#include "net/worker.hpp"
#include "protocol/websocket_frame.hpp"

namespace sb::net {

using boost::asio::ip::tcp;

WsConnection::WsConnection(Worker& worker, Socket socket, const WsLimits& limits)
    : worker_(worker), socket_(std::move(socket)), limits_(limits) {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

WsConnection::~WsConnection() {
  // Normally zero by now (shutdown_now); keeps the worker's gauge true otherwise.
  worker_.add_outbound_bytes(-static_cast<int64_t>(queue_bytes_ + inflight_bytes_));
}

void WsConnection::start(std::string handshake) {
  auto w = std::make_shared<Wire>();
  w->bytes = std::move(handshake);
  send(std::move(w));
}

void WsConnection::read(std::string leftover) {
  if (!leftover.empty()) {
    auto& partial = read_state().partial;
    partial = std::move(leftover);
    size_t used = 0;
    if (!consume(reinterpret_cast<uint8_t*>(partial.data()), partial.size(), used)) return;
    rs_->partial.erase(0, used);
    release_read_state_if_idle();
  }
  wait_readable();
}

void WsConnection::wait_readable() {
  if (read_pending_ || state_ == State::Closed) return;
  read_pending_ = true;
  socket_.async_wait(
      tcp::socket::wait_read,
      boost::asio::bind_allocator(ExactAllocator<void>(),
                                  [self = shared_from_this()](const boost::system::error_code& ec) {
                                    self->read_pending_ = false;
                                    if (ec || self->state_ == State::Closed) return;
                                    self->on_readable();
                                  }));
}

void WsConnection::on_readable() {
  auto& buf = worker_.read_buffer();
  boost::system::error_code ec;
  size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    wait_readable();
    return;
  }
  if (ec || n == 0) {
    notify_closed("transport close");
    shutdown_now();
    return;
  }
  if (state_ == State::Closing) {  // draining until the peer closes
    wait_readable();
    return;
  }
  size_t used = 0;
  bool open = true;
  if (!rs_ || rs_->partial.empty()) {
    // Common case: whole frames in the shared buffer, nothing kept afterwards.
    open = consume(buf.data(), n, used);
    if (open && used < n)
      read_state().partial.assign(reinterpret_cast<const char*>(buf.data()) + used, n - used);
  } else {
    auto& partial = rs_->partial;
    partial.append(reinterpret_cast<const char*>(buf.data()), n);
    open = consume(reinterpret_cast<uint8_t*>(partial.data()), partial.size(), used);
    if (open && rs_) rs_->partial.erase(0, used);
  }
  if (open) release_read_state_if_idle();  // give the memory back when idle
  // Replies to this read go out now, in one write (the cork ends with the
  // read): the peer sees them before anything this loop does afterwards.
  flush();
  if (open && state_ != State::Closed) wait_readable();
}

// Parses and handles every complete frame in [data, data+size). Returns false
// when the connection was closed while doing so.
bool WsConnection::consume(uint8_t* data, size_t size, size_t& used) {
  used = 0;
  while (state_ == State::Open) {
    ws::FrameHeader h;
    auto r = ws::parse_header(data + used, size - used, limits_.max_message_bytes, h);
    if (r == ws::ParseResult::NeedMore) return true;
    if (r != ws::ParseResult::Ok) {
      fail(r == ws::ParseResult::TooLarge ? ws::kCloseTooBig : ws::kCloseProtocolError,
           "parse error");
      return false;
    }
    if (size - used < h.header_length + h.payload_length) return true;
    uint8_t* payload = data + used + h.header_length;
    const size_t len = static_cast<size_t>(h.payload_length);
    ws::unmask(payload, len, h.mask, 0);
    used += h.header_length + len;
    handle_frame(h.opcode, h.fin, std::string_view(reinterpret_cast<const char*>(payload), len));
  }
  return state_ != State::Closed;
}

WsConnection::ReadState& WsConnection::read_state() {
  if (!rs_) rs_ = std::make_unique<ReadState>(limits_.max_message_bytes);
  return *rs_;
}

// Never called while consume() walks rs_->partial: only once a read is done.
void WsConnection::release_read_state_if_idle() {
  if (rs_ && rs_->partial.empty() && !rs_->assembler.in_message()) rs_.reset();
}

void WsConnection::handle_frame(ws::Opcode opcode, bool fin, std::string_view payload) {
  using Kind = ws::MessageAssembler::Event::Kind;
  // Frames that are whole messages (or control frames) need no state kept
  // between reads: a scratch assembler answers them unless a fragmented
  // message is in progress, which keeps its state in rs_.
  const bool fragment = opcode == ws::Opcode::Continuation ||
                        (!fin && (opcode == ws::Opcode::Text || opcode == ws::Opcode::Binary));
  ws::MessageAssembler scratch(limits_.max_message_bytes);
  ws::MessageAssembler& assembler = rs_ || fragment ? read_state().assembler : scratch;
  const auto ev = assembler.on_frame(opcode, fin, payload);
  switch (ev.kind) {
    case Kind::None:
    case Kind::Pong:
      return;
    case Kind::Ping: {
      auto w = std::make_shared<Wire>();
      ws::append_frame(w->bytes, ws::Opcode::Pong, ev.data);
      send(std::move(w));
      return;
    }
    case Kind::Close:
      close(ev.code, {}, "transport close");
      return;
    case Kind::Error:
      fail(ev.code, "parse error");
      return;
    case Kind::Message:
      if (handler_) handler_->on_ws_message(ev.binary, ev.data);
      assembler.release();
      return;
  }
}

void WsConnection::fail(uint16_t code, const char* reason) {
  close(code, {}, reason);
}

void WsConnection::notify_closed(const char* reason) {
  if (auto* h = handler_) {
    handler_ = nullptr;
    h->on_ws_closed(reason);
  }
}

void WsConnection::send(WirePtr wire) {
  if (state_ != State::Open) return;
  queue_bytes_ += wire->bytes.size();
  worker_.add_outbound_bytes(static_cast<int64_t>(wire->bytes.size()));
  queue_.push_back(std::move(wire));
  if (queue_bytes_ + inflight_bytes_ > limits_.max_outbound_bytes) return cut_slow_consumer();
  schedule_flush();
}

// The peer does not read what it is sent: rather than growing our memory, drop
// what is queued and close with a reason (after the write in flight: a frame
// cannot be cut in two). A peer that never reads is cut by the close timer.
void WsConnection::cut_slow_consumer() {
  overload_counters().slow_consumers.fetch_add(1, std::memory_order_relaxed);
  drop_queue();
  auto w = std::make_shared<Wire>();
  ws::append_frame(w->bytes, ws::Opcode::Close,
                   ws::close_payload(ws::kClosePolicy, "slow consumer"));
  queue_bytes_ = w->bytes.size();
  worker_.add_outbound_bytes(static_cast<int64_t>(queue_bytes_));
  queue_.push_back(std::move(w));
  begin_closing();
  // Deferred: the caller may be iterating over a room that this would change.
  worker_.post([self = shared_from_this()] { self->notify_closed("slow consumer"); });
}

void WsConnection::drop_queue() {
  worker_.add_outbound_bytes(-static_cast<int64_t>(queue_bytes_));
  queue_.clear();
  queue_bytes_ = 0;
}

void WsConnection::begin_closing() {
  state_ = State::Closing;
  close_after_flush_ = true;
  schedule_flush();
  // Do not wait forever for a peer that never reads.
  std::weak_ptr<WsConnection> weak = weak_from_this();
  worker_.wheel().schedule_in(5000, [weak] {
    if (auto self = weak.lock()) self->shutdown_now();
  });
}

void WsConnection::write_done() {
  worker_.add_outbound_bytes(-static_cast<int64_t>(inflight_bytes_));
  inflight_bytes_ = 0;
  aw_.reset();
}

void WsConnection::schedule_flush() {
  if (flush_scheduled_ || writing_) return;
  flush_scheduled_ = true;
  worker_.defer_flush(shared_from_this());
}

void WsConnection::flush_now() {
  flush_scheduled_ = false;
  flush();
}

// Most writes fit in the socket buffer: write straight from the queue, with
// the thread's scratch gather list (one per worker thread), and only go asynchronous (an allocated
// operation, a later wake-up) for what the kernel did not take. Only then does
// the connection hold in-flight lists of its own, and it gives them back when
// the write is done: an idle connection keeps none.
void WsConnection::flush() {
  if (writing_ || state_ == State::Closed) return;
  if (queue_.empty()) {
    if (close_after_flush_) shutdown_now();
    return;
  }
  static thread_local std::vector<boost::asio::const_buffer> gather;
  gather.clear();
  size_t total = 0;
  for (auto& w : queue_) {
    gather.emplace_back(w->bytes.data(), w->bytes.size());
    total += w->bytes.size();
  }
  boost::system::error_code ec;
  size_t n = socket_.write_some(gather, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    ec = {};
    n = 0;
  }
  if (ec) {
    drop_queue();
    notify_closed("transport error");
    shutdown_now();
    return;
  }
  if (n == total) {
    drop_queue();
    std::vector<WirePtr>().swap(queue_);  // an idle connection keeps no queue storage
    if (close_after_flush_) shutdown_now();
    return;
  }
  size_t skip = 0;
  while (n >= gather[skip].size()) n -= gather[skip++].size();
  gather[skip] += n;
  aw_ = std::make_unique<AsyncWrite>();
  aw_->gather.assign(gather.begin() + static_cast<std::ptrdiff_t>(skip), gather.end());
  aw_->inflight.swap(queue_);
  inflight_bytes_ = queue_bytes_;
  queue_bytes_ = 0;
  write_async();
}

void WsConnection::write_async() {
  writing_ = true;
  boost::asio::async_write(
      socket_, aw_->gather,
      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        self->writing_ = false;
        self->write_done();
        if (ec) {
          self->notify_closed("transport error");
          self->shutdown_now();
          return;
        }
        self->flush();
      });
}

void WsConnection::close(uint16_t code, std::string_view reason_text, const char* reason) {
  if (state_ != State::Open) return;
  auto w = std::make_shared<Wire>();
  ws::append_frame(w->bytes, ws::Opcode::Close, ws::close_payload(code, reason_text));
  send(std::move(w));
  if (state_ != State::Open) return;  // that frame was one too many: cut as slow
  notify_closed(reason);
  begin_closing();
}

void WsConnection::abort(const char* reason) {
  notify_closed(reason);
  shutdown_now();
}

void WsConnection::shutdown_now() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  drop_queue();
  if (!writing_) write_done();  // else the aborted write's handler does it
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace sb::net
