#include "gateways/client/sio_server.hpp"

#include <algorithm>

#include "auth/jwt_verifier.hpp"
#include "auth/key_ring.hpp"
#include "gateways/client/eio_session.hpp"
#include "gateways/client/inbox_service.hpp"
#include "gateways/client/sio_client.hpp"
#include "gateways/client/sio_socket.hpp"
#include "net/worker.hpp"
#include "protocol/socketio_packet.hpp"

namespace sb::sio {

static std::vector<net::WirePtr> encode(PacketType text_type, PacketType bin_type,
                                        std::string_view nsp, std::optional<uint64_t> id,
                                        const boost::json::array& payload,
                                        const std::vector<Bytes>& attachments) {
  std::vector<net::WirePtr> wires;
  wires.reserve(1 + attachments.size());
  std::string json;
  append_json(json, payload);
  std::string text = "4";
  encode_raw(attachments.empty() ? text_type : bin_type, nsp, id,
             static_cast<uint32_t>(attachments.size()), json, text);
  wires.push_back(net::make_text_wire(text));
  for (auto& a : attachments) wires.push_back(net::make_binary_wire(a));
  return wires;
}

std::vector<net::WirePtr> encode_event(std::string_view nsp, std::string_view event,
                                       const boost::json::array& args,
                                       const std::vector<Bytes>& attachments,
                                       std::optional<uint64_t> ack_id) {
  boost::json::array payload;
  payload.reserve(args.size() + 1);
  payload.emplace_back(boost::json::string(event));
  for (auto& a : args) payload.push_back(a);
  return encode(PacketType::Event, PacketType::BinaryEvent, nsp, ack_id, payload, attachments);
}

std::vector<net::WirePtr> encode_ack(std::string_view nsp, uint64_t id,
                                     const boost::json::array& args,
                                     const std::vector<Bytes>& attachments) {
  return encode(PacketType::Ack, PacketType::BinaryAck, nsp, id, args, attachments);
}

void BroadcastOperator::emit(std::string_view event, boost::json::array args,
                             std::vector<Bytes> attachments) const {
  auto make = [&] {
    auto b = std::make_shared<Broadcast>();
    b->nsp = nsp_;
    b->rooms = rooms_;
    b->except = except_;
    b->is_volatile = volatile_flag_;
    return b;
  };
  // Shared recovery log (cluster): recorded once in the engine, delivered by
  // every node (this one too) from the log with the entry id as offset.
  if (!local_flag_ && !volatile_flag_)
    if (SharedRecovery* shared = server_->shared_recovery()) {
      shared->append(ClusterEmit{nsp_, rooms_, except_, volatile_flag_, event, args, attachments});
      return;
    }
  // Published before the offset below is added: each node records its own.
  if (!local_flag_)
    if (ClusterLink* cluster = server_->cluster())
      cluster->publish(
          ClusterEmit{nsp_, rooms_, except_, volatile_flag_, event, args, attachments});
  // With the shared log, what reaches this path (volatile, or from an external
  // emitter over pub/sub) is delivered live without an offset: not recoverable.
  RecoveryStore* store = server_->shared_recovery() ? nullptr : server_->recovery();
  if (!store || volatile_flag_) {
    auto b = make();
    b->wires = encode_event(nsp_, event, args, attachments);
    server_->broadcast(std::move(b));
    return;
  }
  // Recorded for recovery: the offset rides as the last argument (the protocol's
  // way; the client keeps the last one it saw and sends it back on reconnect).
  server_->broadcast(store->record([&](const std::string& offset, uint64_t) {
    auto b = make();
    args.emplace_back(boost::json::string(offset));
    b->wires = encode_event(nsp_, event, args, attachments);
    return b;
  }));
}

void BroadcastOperator::sockets_join(std::vector<std::string> rooms) const {
  server_->sockets_op(SocketsOp{SocketsOpKind::join, nsp_, rooms_, except_, std::move(rooms)},
                      local_flag_);
}

void BroadcastOperator::sockets_leave(std::vector<std::string> rooms) const {
  server_->sockets_op(SocketsOp{SocketsOpKind::leave, nsp_, rooms_, except_, std::move(rooms)},
                      local_flag_);
}

void BroadcastOperator::disconnect_sockets(bool close) const {
  server_->sockets_op(SocketsOp{SocketsOpKind::disconnect, nsp_, rooms_, except_, {}, close},
                      local_flag_);
}

SioServer::SioServer(std::vector<net::Worker*> workers, SioOptions options,
                     std::shared_ptr<const JwtVerifier> verifier)
    : workers_(std::move(workers)),
      options_(options),
      verifier_(std::move(verifier)),
      recovery_(options_.recovery.enabled ? std::make_unique<RecoveryStore>(options_.recovery)
                                          : nullptr),
      shards_(workers_.size()),
      counters_(std::make_unique<SioWorkerCounters[]>(workers_.size())),
      last_stream_(workers_.size()) {}

SioServer::~SioServer() = default;

std::shared_ptr<const JwtVerifier> SioServer::verifier() const {
  return key_ring_ ? key_ring_->verifier() : verifier_;
}

Namespace& SioServer::of(const std::string& name) {
  auto& ns = namespaces_[name];
  if (!ns) ns = std::make_unique<Namespace>(name);
  return *ns;
}

const Namespace* SioServer::find_namespace(std::string_view name) const {
  auto it = namespaces_.find(std::string(name));
  return it == namespaces_.end() ? nullptr : it->second.get();
}

std::vector<std::string> SioServer::namespace_names() const {
  std::vector<std::string> out;
  out.reserve(namespaces_.size());
  for (auto& [name, ns] : namespaces_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

void SioServer::notify_user(const std::string& user_id, std::string_view event,
                            boost::json::value data, NotifyOptions options) {
  const bool store = options.store.value_or(inbox_ && inbox_->options().store_by_default);
  if (store) {
    if (!inbox_) throw std::logic_error("notify_user: store asked but the inbox is off");
    inbox_->notify(user_id, event, std::move(data),
                   options.deliver_missed.value_or(inbox_->options().deliver_missed),
                   std::move(options.on_stored));
    return;
  }
  boost::json::array args;
  args.push_back(std::move(data));
  in("/").to("user:" + user_id).emit(event, std::move(args));
}

std::unique_ptr<eio::EioApp> SioServer::make_client(eio::EioSession& session) {
  return std::make_unique<SioClient>(*this, session);
}

NamespaceShard& SioServer::shard(unsigned worker, const std::string& nsp) {
  return shards_[worker][nsp];
}

void SioServer::add_socket(Socket& s) {
  shard(s.worker_index(), s.nsp().name()).sockets.emplace(s.id(), &s);
}

void SioServer::remove_socket(Socket& s) {
  auto& sh = shard(s.worker_index(), s.nsp().name());
  for (auto& room : s.rooms()) {
    auto it = sh.rooms.find(room);
    if (it == sh.rooms.end()) continue;
    it->second.erase(&s);
    if (it->second.empty()) sh.rooms.erase(it);
  }
  sh.sockets.erase(s.id());
}

void SioServer::join(Socket& s, const std::string& room) {
  shard(s.worker_index(), s.nsp().name()).rooms[room].insert(&s);
}

void SioServer::leave(Socket& s, const std::string& room) {
  auto& sh = shard(s.worker_index(), s.nsp().name());
  auto it = sh.rooms.find(room);
  if (it == sh.rooms.end()) return;
  it->second.erase(&s);
  if (it->second.empty()) sh.rooms.erase(it);
}

size_t SioServer::socket_count(unsigned worker) const {
  size_t n = 0;
  for (auto& [name, sh] : shards_[worker]) n += sh.sockets.size();
  return n;
}

void SioServer::broadcast(std::shared_ptr<const Broadcast> b) {
  for (auto* w : workers_) {
    w->dispatch([this, w, b] { deliver_local(w->index(), *b); });
  }
}

// Calls `fn` once for each socket of the shard in any of `rooms` (every socket
// when empty) and in none of `except`. The excluded sockets are stamped first
// so the loops skip them; a room named like a socket id targets that socket.
template <class Fn>
static void visit_targets(NamespaceShard& sh, const std::vector<std::string>& rooms,
                          const std::vector<std::string>& except, Fn&& fn) {
  const uint64_t seq = ++sh.mark_seq;
  auto for_room = [&](const std::string& room, auto&& f) {
    if (auto it = sh.rooms.find(room); it != sh.rooms.end())
      for (Socket* s : it->second) f(s);
    if (auto it = sh.sockets.find(room); it != sh.sockets.end()) f(it->second);
  };
  for (auto& room : except) for_room(room, [&](Socket* s) { s->mark = seq; });
  auto visit = [&](Socket* s) {
    if (s->mark == seq) return;
    s->mark = seq;
    fn(s);
  };
  if (rooms.empty()) {
    for (auto& [id, s] : sh.sockets) visit(s);
  } else {
    for (auto& room : rooms) for_room(room, visit);
  }
}

void SioServer::for_each_socket(std::string nsp, std::vector<std::string> rooms,
                                std::vector<std::string> except, SocketFn fn) {
  struct Op {
    std::string nsp;
    std::vector<std::string> rooms, except;
    SocketFn fn;
  };
  auto op = std::make_shared<const Op>(
      Op{std::move(nsp), std::move(rooms), std::move(except), std::move(fn)});
  for (auto* w : workers_) {
    w->post([this, w, op] {
      auto sit = shards_[w->index()].find(op->nsp);
      if (sit == shards_[w->index()].end()) return;
      // Collected first: `fn` may join, leave or disconnect, changing the sets.
      std::vector<std::weak_ptr<Socket>> targets;
      visit_targets(sit->second, op->rooms, op->except,
                    [&](Socket* s) { targets.push_back(s->weak_from_this()); });
      for (auto& t : targets)
        if (auto s = t.lock()) op->fn(*s);
    });
  }
}

void SioServer::sockets_op(SocketsOp op, bool local) {
  if (!local)
    if (ClusterLink* cluster = this->cluster()) cluster->publish(op);
  SocketFn fn;
  switch (op.kind) {
    case SocketsOpKind::join:
      fn = [targets = op.targets](Socket& s) {
        for (auto& room : targets) s.join(room);
      };
      break;
    case SocketsOpKind::leave:
      fn = [targets = op.targets](Socket& s) {
        for (auto& room : targets) s.leave(room);
      };
      break;
    case SocketsOpKind::disconnect:
      fn = [close = op.close](Socket& s) { s.disconnect(close); };
      break;
  }
  for_each_socket(std::move(op.nsp), std::move(op.rooms), std::move(op.except), std::move(fn));
}

void SioServer::post(unsigned worker, std::function<void()> fn) {
  workers_.at(worker)->post(std::move(fn));
}

void SioServer::deliver_local(unsigned worker, const Broadcast& b) {
  auto sit = shards_[worker].find(b.nsp);
  if (!b.stream_id.empty()) last_stream_[worker] = b.stream_id;
  if (sit == shards_[worker].end()) return;
  visit_targets(sit->second, b.rooms, b.except, [&](Socket* s) {
    if (const auto* r = s->recovery.get()) {  // already replayed by its recovery?
      if (b.seq && b.seq <= r->skip_upto) return;
      if (!b.stream_id.empty() && b.stream_id <= r->skip_stream) return;
    }
    s->send_wires(b.wires, b.is_volatile);
  });
}

}  // namespace sb::sio
