#include "gateways/client/sio_client.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "auth/jwt_verifier.hpp"
#include "gateways/client/sio_socket.hpp"
#include "net/overload_counters.hpp"
#include "net/timing_wheel.hpp"
#include "net/worker.hpp"

namespace sb::sio {

namespace json = boost::json;

static std::string random_id() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char rnd[20];
  RAND_bytes(rnd, sizeof rnd);
  std::string id(20, 'A');
  for (size_t i = 0; i < 20; ++i) id[i] = kAlphabet[rnd[i] & 63];
  return id;
}

static std::string nsp_prefix(std::string_view nsp) {
  return nsp == "/" ? std::string() : std::string(nsp) + ",";
}

SioClient::SioClient(SioServer& server, eio::EioSession& session)
    : server_(server), session_(session) {
  // A session that never connects a namespace is closed (Socket.IO's connectTimeout).
  session_.worker().wheel().schedule_at(
      *this, net::TimingWheel::now_ms() + server_.options().connect_timeout_ms);
}

void SioClient::on_timer() {
  if (ever_connected_ || session_.closed()) return;
  auto s = session_.shared_from_this();  // closing destroys this client
  s->close("connect timeout");
}

SioClient::~SioClient() = default;

std::shared_ptr<Socket> SioClient::find(std::string_view nsp) {
  for (auto& s : sockets_)
    if (s->nsp().name() == nsp) return s;
  return nullptr;
}

void SioClient::send(const std::vector<net::WirePtr>& wires, bool is_volatile) {
  if (is_volatile && !session_.writable()) {
    net::overload_counters().volatile_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  server_.counters(session_.worker().index()).packets_out.fetch_add(1, std::memory_order_relaxed);
  for (auto& w : wires) session_.send(w);
}

void SioClient::fail(const char* reason) {
  spdlog::debug("socket.io: closing session {}: {}", session_.sid(), reason);
  session_.drop(reason);
}

void SioClient::on_message(std::string_view text) {
  if (pending_) return fail("parse error");  // text while binary expected
  Packet p;
  Limits limits;
  limits.max_attachments = server_.options().max_attachments;
  if (auto err = decode(text, p, limits); err != DecodeError::None) {
    spdlog::debug("socket.io: bad packet from {}: {}", session_.handshake().address(),
                  to_string(err));
    return fail("parse error");
  }
  if (p.attachments > 0) {
    if (!placeholders_valid(p.data, p.attachments)) return fail("parse error");
    pending_ = std::make_unique<PendingBinary>();
    pending_->attachments.reserve(p.attachments);
    pending_->packet = std::move(p);
    return;
  }
  handle(std::move(p), {});
}

void SioClient::on_binary(std::string_view bytes) {
  if (!pending_) return fail("parse error");
  pending_->attachments.emplace_back(bytes);
  if (pending_->attachments.size() < pending_->packet.attachments) return;
  auto done = std::move(pending_);
  handle(std::move(done->packet), std::move(done->attachments));
}

void SioClient::handle(Packet&& p, std::vector<Bytes>&& attachments) {
  if (p.type == PacketType::Connect) return connect(p);
  if (p.type == PacketType::ConnectError) return fail("parse error");
  auto socket = find(p.nsp);
  if (!socket) return fail("invalid state");  // a packet for a namespace not joined
  switch (p.type) {
    case PacketType::Disconnect:
      remove(*socket, "client namespace disconnect");
      return;
    case PacketType::Event:
    case PacketType::BinaryEvent:
      dispatch_event(*socket, p, std::move(attachments));
      return;
    case PacketType::Ack:
    case PacketType::BinaryAck:
      socket->on_ack(*p.id, std::move(p.data.as_array()), std::move(attachments));
      return;
    default:
      return fail("parse error");
  }
}

void SioClient::refuse(std::string_view nsp, std::string_view message, json::value data) {
  json::object err;
  err["message"] = message;
  if (!data.is_null()) err["data"] = std::move(data);
  std::string text = "44" + nsp_prefix(nsp);
  append_json(text, err);
  session_.send(net::make_text_wire(text));
}

void SioClient::connect(Packet& p) {
  const Namespace* ns = server_.find_namespace(p.nsp);
  if (!ns) return refuse(p.nsp, "Invalid namespace", nullptr);
  // A second CONNECT for the same namespace (also while its recovery is pending).
  if (find(p.nsp) ||
      (restoring_ && std::find(restoring_->begin(), restoring_->end(), p.nsp) != restoring_->end()))
    return fail("invalid state");

  // Guard: a JWT from auth.token or the handshake's Authorization header.
  std::string token;
  if (p.data.is_object()) {
    if (auto* t = p.data.as_object().if_contains("token"); t && t->is_string())
      token = std::string(t->as_string());
  }
  if (token.empty()) {
    std::string_view h = session_.handshake().header("authorization");
    if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer "))
      token = std::string(h.substr(7));
  }
  std::string user_id;
  const auto verifier = server_.verifier();
  if (!token.empty() && verifier) {
    auto r = verifier->verify(token);
    if (!r.ok) return refuse(p.nsp, "unauthorized", json::object{{"reason", r.error}});
    user_id = std::move(r.subject);
  } else if (!server_.options().allow_anonymous) {
    return refuse(p.nsp, "unauthorized", json::object{{"reason", "missing token"}});
  }

  // Connection state recovery: the client sends back its private id and the
  // offset of the last broadcast it saw.
  std::string pid, offset;
  RecoveryStore* store = server_.recovery();
  if (store && p.data.is_object()) {
    auto& o = p.data.as_object();
    auto* pv = o.if_contains("pid");
    auto* ov = o.if_contains("offset");
    if (pv && pv->is_string() && ov && ov->is_string()) {
      pid = std::string(pv->as_string());
      offset = std::string(ov->as_string());
    }
    o.erase("pid");
    o.erase("offset");
  }
  json::value auth = p.data.is_null() ? json::value(json::object{}) : std::move(p.data);
  if (pid.empty()) return finish_connect(*ns, std::move(auth), std::move(user_id), std::nullopt);

  if (SharedRecovery* shared = server_.shared_recovery())
    return restore_shared(*shared, *ns, std::move(auth), std::move(user_id), std::move(pid),
                          std::move(offset));

  std::optional<Resumed> resumed;
  if (auto r = store->restore(pid, offset, std::string(p.nsp))) {
    // Never hand a session to someone else: the token must name the same user.
    if (r->session.user_id == user_id)
      resumed = Resumed{std::move(r->session), std::move(r->missed), r->upto_seq, {}};
  }
  finish_connect(*ns, std::move(auth), std::move(user_id), std::move(resumed));
}

// The shared log answers later, from another thread: the answer (or the
// timeout, whichever comes first) finishes the connect on this worker, if the
// session is still there. Nothing is hung on the engine: down or slow, the
// client connects afresh after restore_timeout_ms at most.
void SioClient::restore_shared(SharedRecovery& shared, const Namespace& ns, json::value auth,
                               std::string user_id, std::string pid, std::string offset) {
  struct Pending {
    const Namespace* ns;
    json::value auth;
    std::string user_id;
    bool done = false;
  };
  auto pending = std::make_shared<Pending>(Pending{&ns, std::move(auth), std::move(user_id)});
  if (!restoring_) restoring_ = std::make_unique<std::vector<std::string>>();
  restoring_->push_back(ns.name());
  std::weak_ptr<eio::EioSession> weak = session_.weak_from_this();
  auto complete = [weak, pending](std::optional<SharedRestored> r) {
    if (pending->done) return;
    pending->done = true;
    auto s = weak.lock();
    if (!s || s->closed()) return;
    auto* client = dynamic_cast<SioClient*>(s->app());
    if (!client) return;
    client->finish_restore(*pending->ns, std::move(pending->auth), std::move(pending->user_id),
                           std::move(r));
  };
  const unsigned worker = session_.worker().index();
  shared.restore(std::move(pid), std::move(offset), ns.name(),
                 [server = &server_, worker, complete](std::optional<SharedRestored> r) {
                   server->post(worker,
                                [complete, r = std::move(r)]() mutable { complete(std::move(r)); });
                 });
  session_.worker().wheel().schedule_in(shared.restore_timeout_ms(),
                                        [complete] { complete(std::nullopt); });
}

void SioClient::finish_restore(const Namespace& ns, json::value auth, std::string user_id,
                               std::optional<SharedRestored> r) {
  if (restoring_) {
    auto it = std::find(restoring_->begin(), restoring_->end(), ns.name());
    if (it != restoring_->end()) restoring_->erase(it);
    if (restoring_->empty()) restoring_.reset();
  }
  if (r && r->session.user_id != user_id) r.reset();  // never someone else's session
  std::optional<Resumed> resumed;
  if (r) {
    resumed = Resumed{std::move(r->session), std::move(r->missed), 0, r->upto};
    // Entries after the log's answer that this worker delivered before the socket
    // existed: taken from what this node read, or the client connects afresh.
    const protocol::StreamId seen = server_.last_stream_id(session_.worker().index());
    if (seen > resumed->upto_stream) {
      SharedRecovery* shared = server_.shared_recovery();
      auto gap = shared ? shared->recent(resumed->upto_stream, seen) : std::nullopt;
      if (!gap) {
        resumed.reset();
      } else {
        for (auto& b : *gap)
          if (b->nsp == ns.name() &&
              broadcast_reaches(*b, resumed->session.sid, resumed->session.rooms))
            resumed->missed.push_back(b);
        resumed->upto_stream = seen;
      }
    }
  }
  finish_connect(ns, std::move(auth), std::move(user_id), std::move(resumed));
}

void SioClient::finish_connect(const Namespace& ns, json::value auth, std::string user_id,
                               std::optional<Resumed> restored) {
  // A saved id that cannot be ours (the shared log's data comes from outside).
  if (restored &&
      (!net::InlineId::fits(restored->session.sid) || !net::InlineId::fits(restored->session.pid)))
    restored.reset();
  auto socket =
      std::make_shared<Socket>(server_, *this, ns, restored ? restored->session.sid : random_id(),
                               std::move(auth), std::move(user_id));
  for (auto& m : ns.middlewares()) {
    std::optional<ConnectRefusal> refusal;
    try {
      refusal = m(*socket);
    } catch (const std::exception& e) {
      refusal = ConnectRefusal{e.what(), nullptr};
    }
    if (refusal) return refuse(ns.name(), refusal->message, std::move(refusal->data));
  }
  sockets_.push_back(socket);
  server_.add_socket(*socket);
  if (restored) {
    socket->recovered = true;
    socket->recovery = std::make_unique<Socket::Recovery>(Socket::Recovery{
        net::InlineId(restored->session.pid), restored->upto_seq, restored->upto_stream});
    for (auto& room : restored->session.rooms) socket->join(room);
  } else if (server_.recovery()) {
    socket->recovery = std::make_unique<Socket::Recovery>();
    socket->recovery->pid.assign(random_id());
  }
  if (socket->authenticated()) socket->join("user:" + socket->user_id());
  ever_connected_ = true;
  cancel_timer();
  std::string reply =
      "40" + nsp_prefix(ns.name()) + "{\"sid\":\"" + std::string(socket->id()) + "\"";
  if (socket->recovery) {
    reply += ",\"pid\":\"";
    reply += socket->recovery->pid.view();
    reply += "\"";
  }
  reply += "}";
  session_.send(net::make_text_wire(reply));
  if (restored)
    for (auto& b : restored->missed) send(b->wires, false);
  for (auto& hook : ns.connection_hooks()) {
    if (!socket->connected()) break;
    try {
      hook(*socket);
    } catch (const std::exception& e) {
      spdlog::warn("socket.io: connection hook failed on {}: {}", ns.name(), e.what());
    }
  }
}

void SioClient::dispatch_event(Socket& s, Packet& p, std::vector<Bytes>&& attachments) {
  server_.counters(session_.worker().index()).events_in.fetch_add(1, std::memory_order_relaxed);
  auto& arr = p.data.as_array();
  Event e;
  if (arr[0].is_string())
    e.name = std::string(arr[0].as_string());
  else
    e.name = serialize(arr[0]);
  e.args.reserve(arr.size() - 1);
  for (size_t i = 1; i < arr.size(); ++i) e.args.push_back(std::move(arr[i]));
  e.attachments = std::move(attachments);
  e.ack_id = p.id;
  auto keep = s.shared_from_this();
  if (!admit_event(s, e)) return;
  const EventHandler* handler = s.nsp().find(e.name);
  if (!handler) return;  // no listener: ignored, as in the reference server
  auto report = [&](json::value payload) {
    json::array args;
    args.push_back(std::move(payload));
    s.emit("exception", std::move(args));
  };
  auto cause = [&] {
    return json::object{{"pattern", e.name}, {"data", e.args.empty() ? json::value() : e.args[0]}};
  };
  try {
    (*handler)(s, e);
  } catch (const WsException& ex) {
    if (!ex.payload().is_null())
      report(ex.payload());
    else
      report(json::object{{"status", "error"}, {"message", ex.what()}, {"cause", cause()}});
  } catch (const std::exception& ex) {
    spdlog::error("socket.io: handler for \"{}\" on {} threw: {}", e.name, s.nsp().name(),
                  ex.what());
    report(json::object{
        {"status", "error"}, {"message", "Internal server error"}, {"cause", cause()}});
  }
}

// [limits]: the event rate and the event name length. A refused event is not
// handled; the client learns why: an event that asked for an ack gets the ack
// [{"error": code, "message": ...}], any other gets one `exception` event per
// run of refusals (not one per refused event: a flood must not double itself).
bool SioClient::admit_event(Socket& s, Event& e) {
  const auto& o = server_.options();
  const char* code = nullptr;
  const char* message = nullptr;
  if (o.max_name_bytes && e.name.size() > o.max_name_bytes) {
    net::overload_counters().reject(net::Limit::NameLength);
    code = "name_too_long";
    message = "event name too long";
  } else if (!s.take_event_token(net::TimingWheel::now_ms())) {
    net::overload_counters().reject(net::Limit::EventRate);
    code = "rate_limited";
    message = "too many events";
  } else {
    s.rate_notified = false;
    return true;
  }
  if (e.wants_ack()) {
    s.ack(e, json::array{json::object{{"error", code}, {"message", message}}});
  } else if (!s.rate_notified) {
    s.rate_notified = true;
    std::string pattern = e.name.size() > 64 ? e.name.substr(0, 64) : e.name;
    s.emit("exception", json::array{json::object{{"status", "error"},
                                                 {"code", code},
                                                 {"message", message},
                                                 {"cause", json::object{{"pattern", pattern}}}}});
  }
  return false;
}

void SioClient::remove(Socket& s, const std::string& reason) {
  auto it = std::find_if(sockets_.begin(), sockets_.end(),
                         [&](const std::shared_ptr<Socket>& p) { return p.get() == &s; });
  if (it == sockets_.end()) return;
  auto keep = *it;
  sockets_.erase(it);
  keep->on_disconnect(reason);
}

void SioClient::on_close(const char* reason) {
  auto sockets = std::move(sockets_);
  sockets_.clear();
  const std::string why = reason;
  for (auto& s : sockets) s->on_disconnect(why);
}

}  // namespace sb::sio

namespace sb::sio {

void SioClient::disconnect_all() {
  auto sockets = sockets_;  // disconnect() removes from sockets_
  for (auto& s : sockets) s->disconnect(false);
  session_.close("forced server close");
}

}  // namespace sb::sio
