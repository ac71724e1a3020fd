#include "gateways/client/sio_socket.hpp"

#include <algorithm>

#include "gateways/client/eio_session.hpp"
#include "gateways/client/sio_client.hpp"
#include "net/overload_counters.hpp"
#include "net/timing_wheel.hpp"
#include "net/worker.hpp"

namespace sb::sio {

Socket::Socket(SioServer& server, SioClient& client, const Namespace& nsp, std::string id,
               boost::json::value auth, std::string user_id)
    : server_(server),
      client_(&client),
      nsp_(&nsp),
      id_(std::move(id)),
      user_id_(std::move(user_id)),
      auth_(std::move(auth)),
      events_(server.options().event_burst, net::TimingWheel::now_ms()) {}

bool Socket::take_event_token(uint64_t now_ms) {
  const auto& o = server_.options();
  return events_.take(o.events_per_second, o.event_burst, now_ms);
}

Socket::~Socket() = default;

const eio::Handshake& Socket::handshake() const {
  static const eio::Handshake empty{{}, {}};
  return client_ ? client_->session().handshake() : empty;
}

unsigned Socket::worker_index() const {
  return client_ ? client_->session().worker().index() : 0;
}

void Socket::send_wires(const std::vector<net::WirePtr>& wires, bool is_volatile) {
  if (!client_) return;
  client_->send(wires, is_volatile);
}

void Socket::emit(std::string_view event, boost::json::array args, std::vector<Bytes> attachments) {
  if (!client_) return;
  send_wires(encode_event(nsp_->name(), event, args, attachments));
}

void Socket::emit_volatile(std::string_view event, boost::json::array args) {
  if (!client_) return;
  send_wires(encode_event(nsp_->name(), event, args, {}), true);
}

void Socket::emit_with_ack(std::string_view event, boost::json::array args,
                           std::chrono::milliseconds timeout, AckCallback cb,
                           std::vector<Bytes> attachments) {
  if (!client_) {
    cb(AckResult{false, "socket disconnected", {}, {}});
    return;
  }
  if (const auto max = server_.options().max_pending_acks; max && pending_acks_.size() >= max) {
    net::overload_counters().reject(net::Limit::PendingAcks);
    cb(AckResult{false, "too many pending acks", {}, {}});
    return;
  }
  const uint64_t id = next_ack_id_++;
  pending_acks_.push_back(PendingAck{id, std::move(cb)});
  send_wires(encode_event(nsp_->name(), event, args, attachments, id));
  std::weak_ptr<Socket> weak = weak_from_this();
  client_->session().worker().wheel().schedule_in(
      static_cast<uint64_t>(timeout.count()), [weak, id] {
        auto self = weak.lock();
        if (!self) return;
        auto it = std::find_if(self->pending_acks_.begin(), self->pending_acks_.end(),
                               [id](const PendingAck& p) { return p.id == id; });
        if (it == self->pending_acks_.end()) return;
        auto cb = std::move(it->cb);
        self->pending_acks_.erase(it);
        cb(AckResult{false, "operation has timed out", {}, {}});
      });
}

void Socket::on_ack(uint64_t id, boost::json::array args, std::vector<Bytes> attachments) {
  auto it = std::find_if(pending_acks_.begin(), pending_acks_.end(),
                         [id](const PendingAck& p) { return p.id == id; });
  if (it == pending_acks_.end()) return;  // unknown or late: ignored, as in the reference
  auto cb = std::move(it->cb);
  pending_acks_.erase(it);
  cb(AckResult{true, {}, std::move(args), std::move(attachments)});
}

void Socket::ack(Event& e, boost::json::array args, std::vector<Bytes> attachments) {
  if (!e.ack_id || !client_) return;
  const uint64_t id = *e.ack_id;
  e.ack_id.reset();  // once
  send_wires(encode_ack(nsp_->name(), id, args, attachments));
}

bool Socket::in_room(std::string_view room) const {
  return std::find(rooms_.begin(), rooms_.end(), room) != rooms_.end();
}

bool Socket::join(const std::string& room) {
  if (!client_) return false;
  if (in_room(room)) return true;
  const auto& o = server_.options();
  if (o.max_name_bytes && room.size() > o.max_name_bytes) {
    net::overload_counters().reject(net::Limit::NameLength);
    return false;
  }
  if (o.max_rooms && rooms_.size() >= o.max_rooms) {
    net::overload_counters().reject(net::Limit::Rooms);
    return false;
  }
  rooms_.push_back(room);
  server_.join(*this, room);
  return true;
}

void Socket::leave(const std::string& room) {
  auto it = std::find(rooms_.begin(), rooms_.end(), room);
  if (it == rooms_.end()) return;
  rooms_.erase(it);
  if (client_) server_.leave(*this, room);
}

BroadcastOperator Socket::to(std::string room) const {
  BroadcastOperator op(server_, nsp_->name());
  op.to(std::move(room)).except(id_.str());
  return op;
}

BroadcastOperator Socket::broadcast() const {
  BroadcastOperator op(server_, nsp_->name());
  op.except(id_.str());
  return op;
}

void Socket::disconnect(bool close) {
  if (!client_) return;
  auto* client = client_;
  if (close) return client->disconnect_all();
  std::string text = "41";
  if (nsp_->name() != "/") text += nsp_->name() + ",";
  client->send({net::make_text_wire(text)}, false);
  client->remove(*this, "server namespace disconnect");
}

void Socket::drop_transport() {
  if (!client_) return;
  auto& session = client_->session();
  // Over polling there may be no GET to answer: queue the close packet for
  // the next one (as the reference server does) rather than forget the sid.
  if (session.transport() == eio::EioSession::Transport::Polling)
    session.close("transport close");
  else
    session.drop("transport close");
}

// The reference server's list: the client did not mean to leave.
static bool recoverable(const std::string& reason) {
  return reason == "transport error" || reason == "transport close" || reason == "forced close" ||
         reason == "ping timeout" || reason == "server shutting down" ||
         reason == "forced server close";
}

void Socket::on_disconnect(const std::string& reason) {
  if (!client_) return;
  auto self = shared_from_this();
  if (auto* store = server_.recovery(); store && recovery && recoverable(reason)) {
    SavedSession saved{recovery->pid.str(), id_.str(), nsp_->name(), user_id_, rooms_, 0};
    if (auto* shared = server_.shared_recovery())
      shared->save(saved);
    else
      store->save(std::move(saved));
  }
  server_.remove_socket(*this);
  client_ = nullptr;
  for (auto& hook : nsp_->disconnect_hooks()) {
    try {
      hook(*this, reason);
    } catch (...) {
    }
  }
  auto acks = std::move(pending_acks_);
  pending_acks_.clear();
  for (auto& p : acks) p.cb(AckResult{false, "socket disconnected", {}, {}});
}

}  // namespace sb::sio
