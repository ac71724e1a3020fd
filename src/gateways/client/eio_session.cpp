#include "gateways/client/eio_session.hpp"

#include "gateways/client/eio_server.hpp"
#include "net/overload_counters.hpp"
#include "net/timing_wheel.hpp"
#include "net/worker.hpp"
#include "protocol/engineio_packet.hpp"
#include "protocol/websocket_frame.hpp"

namespace sb::eio {

using net::TimingWheel;

EioSession::EioSession(EioServer& server, net::Worker& worker, std::string sid, Handshake handshake)
    : server_(server), worker_(worker), sid_(std::move(sid)), handshake_(std::move(handshake)) {}

Handshake::Handshake(std::string_view url, std::string_view address) {
  block_.reserve(url.size() + address.size() + 2);
  block_.append(url).push_back('\0');
  block_.append(address).push_back('\0');
}

std::string_view Handshake::url() const {
  return std::string_view(block_).substr(0, block_.find('\0'));
}

std::string_view Handshake::address() const {
  std::string_view rest = std::string_view(block_).substr(url().size() + 1);
  return rest.substr(0, rest.find('\0'));
}

std::string_view Handshake::header(std::string_view lower) const {
  std::string_view rest = block_;
  rest.remove_prefix(url().size() + address().size() + 2);
  while (!rest.empty()) {
    const size_t k_end = rest.find('\0');
    const size_t v_end = rest.find('\0', k_end + 1);
    if (k_end == std::string_view::npos || v_end == std::string_view::npos) break;
    if (rest.substr(0, k_end) == lower) return rest.substr(k_end + 1, v_end - k_end - 1);
    rest.remove_prefix(v_end + 1);
  }
  return {};
}

void Handshake::add_header(std::string_view lower, std::string_view value) {
  block_.append(lower).push_back('\0');
  block_.append(value).push_back('\0');
}

EioSession::PollState& EioSession::poll() {
  if (!poll_) poll_ = std::make_unique<PollState>();
  return *poll_;
}

std::shared_ptr<net::HttpConnection> EioSession::take_get() {
  return poll_ ? std::move(poll_->pending_get) : nullptr;
}

EioSession::~EioSession() {
  if (ws_) ws_->set_handler(nullptr);
  if (poll_ && poll_->probe) poll_->probe->set_handler(nullptr);
}

void EioSession::respond_text(const std::shared_ptr<net::HttpConnection>& conn, std::string body) {
  net::HttpResponse r;
  r.header("Content-Type", "text/plain; charset=UTF-8");
  r.header("Cache-Control", "no-store");
  r.body = std::move(body);
  conn->respond(std::move(r));
}

void EioSession::open_polling(const std::shared_ptr<net::HttpConnection>& conn) {
  transport_ = Transport::Polling;
  respond_text(conn, server_.open_packet(sid_, true));
  next_ping_ms_ = TimingWheel::now_ms() + server_.options().ping_interval_ms;
  arm_heartbeat(next_ping_ms_);
}

void EioSession::open_websocket(std::shared_ptr<net::WsConnection> ws) {
  transport_ = Transport::WebSocket;
  ws_ = std::move(ws);
  ws_->set_handler(this);
  ws_->send_text(server_.open_packet(sid_, false));
  next_ping_ms_ = TimingWheel::now_ms() + server_.options().ping_interval_ms;
  arm_heartbeat(next_ping_ms_);
}

// ---- heartbeat -------------------------------------------------------------

void EioSession::arm_heartbeat(uint64_t due_ms) {
  worker_.wheel().schedule_at(*this, due_ms);
}

void EioSession::on_timer() {
  if (state_ == State::Closed) return;
  auto self = shared_from_this();  // a ping timeout may release the last owner
  heartbeat();
}

void EioSession::heartbeat() {
  const uint64_t now = TimingWheel::now_ms();
  if (awaiting_pong_) {
    if (now >= pong_deadline_ms_) return drop("ping timeout");
    return arm_heartbeat(pong_deadline_ms_);
  }
  if (now < next_ping_ms_) return arm_heartbeat(next_ping_ms_);
  awaiting_pong_ = true;
  // The deadline counts from when the ping was due, as the client computes it.
  pong_deadline_ms_ = next_ping_ms_ + server_.options().ping_timeout_ms;
  static const net::WirePtr ping = net::make_text_wire("2");
  send(ping);
  arm_heartbeat(pong_deadline_ms_);
}

bool EioSession::expire_if_silent() {
  if (state_ == State::Closed) return true;
  if (!awaiting_pong_ || TimingWheel::now_ms() < pong_deadline_ms_) return false;
  // The timer may not have fired yet; a request after the deadline must not revive us.
  drop("ping timeout");
  return true;
}

// ---- sending ---------------------------------------------------------------

bool EioSession::writable() const {
  if (state_ != State::Open) return false;
  if (transport_ == Transport::WebSocket) return ws_ && ws_->writable();
  return poll_ && poll_->pending_get != nullptr;
}

void EioSession::send(const net::WirePtr& wire) {
  if (state_ == State::Closed) return;
  if (transport_ == Transport::WebSocket) {
    if (ws_) ws_->send(wire);
    return;
  }
  // Nothing goes after the close packet, nor to a consumer already cut.
  auto& ps = poll();
  if (state_ == State::Closing || ps.slow_cut) return;
  ps.queue.push_back(wire);
  ps.bytes += wire->bytes.size();
  if (ps.bytes > server_.ws_limits().max_outbound_bytes) {
    // Slow consumer over polling: same bound and reason as over a WebSocket.
    net::overload_counters().slow_consumers.fetch_add(1, std::memory_order_relaxed);
    ps.queue.clear();
    ps.bytes = 0;
    ps.slow_cut = true;
    // Deferred: the caller may be iterating over a room that closing changes.
    worker_.post([self = shared_from_this()] { self->close("slow consumer"); });
    return;
  }
  if (ps.pending_get) flush_poll();
}

void EioSession::flush_poll() {
  if (!poll_ || !poll_->pending_get || poll_->queue.empty()) return;
  std::string body;
  size_t total = 0;
  for (auto& w : poll_->queue) total += w->payload().size() + 1;
  body.reserve(total);
  for (auto& w : poll_->queue) {
    if (!body.empty()) body.push_back(kRecordSeparator);
    if (w->binary)
      append_binary_packet(body, w->payload());
    else
      body.append(w->payload());
  }
  poll_->queue.clear();
  poll_->bytes = 0;
  respond_text(take_get(), std::move(body));
}

// ---- polling requests --------------------------------------------------------

void EioSession::on_poll_get(const std::shared_ptr<net::HttpConnection>& conn) {
  if (poll_ && poll_->pending_get) {
    // Two concurrent GETs: the spec closes the session ("transport error").
    net::HttpResponse r;
    r.status = 400;
    r.header("Content-Type", "application/json");
    r.body = R"({"code":3,"message":"Bad request"})";
    conn->respond(std::move(r));
    respond_text(take_get(), "1");
    on_closed("transport error");
    return;
  }
  if (poll_ && poll_->probed) {
    // Upgrading: a poll must not hang, the client is about to switch.
    respond_text(conn, "6");
    return;
  }
  poll().pending_get = conn;
  if (state_ == State::Closing) {
    // Deliver the close packet queued for this GET, then forget the session.
    flush_poll();
    on_closed("forced close");
    return;
  }
  flush_poll();
}

void EioSession::on_poll_post(const std::shared_ptr<net::HttpConnection>& conn,
                              std::string_view body) {
  if (body.size() > server_.options().max_payload) {
    net::HttpResponse r;
    r.status = 413;
    r.header("Content-Type", "text/plain");
    r.body = "Payload Too Large";
    conn->respond(std::move(r));
    return;
  }
  std::vector<Packet> packets;
  auto err = decode_payload(body, packets);
  {
    net::HttpResponse r;
    r.status = err == DecodeError::None ? 200 : 400;
    r.header("Content-Type", err == DecodeError::None ? "text/html" : "application/json");
    r.header("Cache-Control", "no-store");
    r.body = err == DecodeError::None ? "ok" : R"({"code":3,"message":"Bad request"})";
    conn->respond(std::move(r));
  }
  auto self = shared_from_this();  // a packet may close us
  for (auto& p : packets) {
    if (state_ == State::Closed) return;
    if (p.binary) {
      handle_binary(p.data);
      continue;
    }
    // Re-encode type+data as text to share the dispatch with the WebSocket path.
    std::string text(1, static_cast<char>('0' + static_cast<int>(p.type)));
    text += p.data;
    handle_packet_text(text, false);
  }
  if (err != DecodeError::None && state_ != State::Closed) on_closed("parse error");
}

void EioSession::on_poll_aborted(const std::shared_ptr<net::HttpConnection>& conn) {
  if (!poll_ || poll_->pending_get != conn) return;
  poll_->pending_get.reset();
  if (state_ != State::Closed && transport_ == Transport::Polling) on_closed("transport close");
}

// ---- WebSocket ---------------------------------------------------------------

bool EioSession::on_upgrade(std::shared_ptr<net::WsConnection> ws) {
  if (state_ != State::Open || transport_ != Transport::Polling || (poll_ && poll_->probe))
    return false;
  auto& ps = poll();
  ps.probe = std::move(ws);
  ps.probe->set_handler(this);
  ps.probed = false;
  std::weak_ptr<EioSession> weak = weak_from_this();
  std::weak_ptr<net::WsConnection> wprobe = ps.probe;
  worker_.wheel().schedule_in(server_.options().upgrade_timeout_ms, [weak, wprobe] {
    auto self = weak.lock();
    auto p = wprobe.lock();
    if (!self || !p || !self->poll_ || self->poll_->probe != p) return;
    // No "5" in time: give up the upgrade, stay on polling.
    auto probe = std::move(self->poll_->probe);
    self->poll_->probed = false;
    probe->set_handler(nullptr);
    probe->close(ws::kClosePolicy, {}, "upgrade timeout");
  });
  return true;
}

void EioSession::finish_upgrade() {
  transport_ = Transport::WebSocket;
  ws_ = std::move(poll().probe);
  if (auto conn = take_get()) {
    respond_text(conn, "6");
  }
  if (poll_)
    for (auto& w : poll_->queue) ws_->send(w);
  poll_.reset();  // polling is over for this session
}

void EioSession::on_ws_message(bool binary, std::string_view data) {
  if (state_ == State::Closed) return;
  const bool from_probe = transport_ == Transport::Polling;
  if (binary) {
    if (from_probe) return;  // nothing but 2probe / 5 belongs on a probe
    handle_binary(data);
    return;
  }
  handle_packet_text(data, from_probe);
}

void EioSession::on_ws_closed(const char* reason) {
  if (transport_ == Transport::Polling) {
    // The probe went away: the session carries on over polling.
    if (poll_) {
      poll_->probe.reset();
      poll_->probed = false;
    }
    return;
  }
  ws_.reset();
  if (state_ != State::Closed) on_closed(reason);
}

// ---- packets -------------------------------------------------------------------

void EioSession::handle_packet_text(std::string_view text, bool from_probe) {
  Packet p;
  // A message from the probe: the probe lives in the polling state.
  PollState* ps = from_probe ? &poll() : nullptr;
  if (decode_packet(text, p) != DecodeError::None) {
    if (from_probe) {
      ps->probe->close(ws::kCloseProtocolError, {}, "parse error");
      return;
    }
    return drop("parse error");
  }
  if (from_probe) {
    if (p.type == PacketType::Ping && p.data == "probe") {
      ps->probed = true;
      ps->probe->send_text("3probe");
      if (auto conn = take_get()) {  // let the client's poll return so it can send "5"
        respond_text(conn, "6");
      }
    } else if (p.type == PacketType::Upgrade && ps->probed) {
      finish_upgrade();
    } else {
      auto probe = std::move(ps->probe);
      ps->probed = false;
      probe->set_handler(nullptr);
      probe->close(ws::kCloseProtocolError, {}, "invalid probe");
    }
    return;
  }
  switch (p.type) {
    case PacketType::Pong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        next_ping_ms_ = TimingWheel::now_ms() + server_.options().ping_interval_ms;
      }
      return;
    case PacketType::Message:
      if (app_) app_->on_message(p.data);
      return;
    case PacketType::Close:
      if (auto conn = take_get()) {
        respond_text(conn, "6");
      }
      on_closed("transport close");
      return;
    case PacketType::Noop:
      return;
    case PacketType::Ping:  // v4 pings go server -> client only
    case PacketType::Open:
    case PacketType::Upgrade:
      return drop("parse error");
  }
}

void EioSession::handle_binary(std::string_view bytes) {
  if (app_) app_->on_binary(bytes);
}

// ---- closing -------------------------------------------------------------------

void EioSession::close(const char* reason) {
  if (state_ != State::Open) return;
  if (transport_ == Transport::WebSocket) {
    if (ws_) {
      auto ws = std::move(ws_);
      ws_.reset();
      ws->set_handler(nullptr);
      ws->close(ws::kCloseNormal, {}, reason);
    }
    on_closed(reason);
    return;
  }
  // Polling: the close packet goes out with what is queued, in this or the next GET.
  static const net::WirePtr close_packet = net::make_text_wire("1");
  poll().queue.push_back(close_packet);
  if (poll_->pending_get) {
    flush_poll();
    on_closed(reason);
    return;
  }
  state_ = State::Closing;
  std::weak_ptr<EioSession> weak = weak_from_this();
  std::string why = reason;
  worker_.wheel().schedule_in(server_.options().ping_timeout_ms, [weak, why] {
    if (auto self = weak.lock(); self && self->state_ == State::Closing)
      self->on_closed("forced close");
  });
  // The app learns now; only the transport lingers to deliver the close packet.
  if (app_) {
    auto app = std::move(app_);
    app_.reset();
    app->on_close(reason);
  }
}

void EioSession::drop(const char* reason) {
  if (state_ == State::Closed) return;
  if (ws_) {
    auto ws = std::move(ws_);
    ws_.reset();
    ws->set_handler(nullptr);
    ws->abort(reason);
  }
  if (auto conn = take_get()) {
    respond_text(conn, "1");
  }
  on_closed(reason);
}

void EioSession::on_closed(const char* reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  cancel_timer();
  auto self = shared_from_this();
  if (auto probe = poll_ ? std::move(poll_->probe) : nullptr) {
    probe->set_handler(nullptr);
    probe->close(ws::kCloseNormal, {}, reason);
  }
  if (ws_) {
    ws_->set_handler(nullptr);
    ws_->close(ws::kCloseNormal, {}, reason);
    ws_.reset();
  }
  if (auto conn = take_get()) {
    respond_text(conn, "1");
  }
  poll_.reset();
  server_.remove(worker_.index(), sid_);
  if (app_) {
    auto app = std::move(app_);
    app_.reset();
    app->on_close(reason);
  }
}

}  // namespace sb::eio
