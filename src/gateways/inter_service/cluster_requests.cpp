#include "gateways/inter_service/cluster_requests.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "gateways/inter_service/redis_broker.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "hub/log_limiter.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

namespace json = boost::json;

std::vector<cluster::SocketInfo> select_sockets(const std::vector<cluster::SocketInfo>& all,
                                                const std::string& nsp,
                                                const std::vector<std::string>& rooms,
                                                const std::vector<std::string>& except) {
  // A socket is in its own id's room too (snapshots leave it out).
  auto in_any = [](const cluster::SocketInfo& s, const std::vector<std::string>& list) {
    for (auto& r : list) {
      if (r == s.id) return true;
      for (auto& sr : s.rooms)
        if (sr == r) return true;
    }
    return false;
  };
  std::vector<cluster::SocketInfo> out;
  for (auto& s : all) {
    if (s.nsp != nsp) continue;
    if (!rooms.empty() && !in_any(s, rooms)) continue;
    if (in_any(s, except)) continue;
    out.push_back(s);
  }
  return out;
}

std::map<std::string, uint64_t> count_rooms(const std::vector<cluster::SocketInfo>& all,
                                            const std::string& nsp) {
  std::map<std::string, uint64_t> out;
  for (auto& s : all) {
    if (s.nsp != nsp) continue;
    for (auto& r : s.rooms)
      if (r != s.id) ++out[r];
  }
  return out;
}

namespace {

json::value bus_payload(const json::array& data) {
  if (data.size() < 2) return nullptr;
  return data.size() == 2 ? data[1] : json::value(json::array(data.begin() + 1, data.end()));
}

}  // namespace

struct ClusterRequests::State : std::enable_shared_from_this<State> {
  struct Pending {
    cluster::RequestKind kind = cluster::RequestKind::fetch_sockets;
    std::string nsp;
    FetchResult fetch;
    EmitResult emit;
    RoomCountsResult counts;
    std::function<void(FetchResult)> fetch_done;
    std::function<void(EmitResult)> emit_done;
    std::function<void(RoomCountsResult)> counts_done;
    size_t answered = 0;            // other nodes (Node.js peers included)
    size_t expected = 0;            // other live Switchboard nodes when asked
    std::set<std::string> waiting;  // those of them that have not answered
    bool local_done = false;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Broker& broker;
  ClusterChannels channels;
  std::string uid;
  uint32_t timeout_ms;
  size_t max_answer_bytes;
  const ClusterNodeTable& nodes;
  LocalSockets local;
  intra::EventBus& bus;
  SubscriptionId requests_sub = 0, responses_sub = 0;
  std::vector<SubscriptionId> counted_subs;
  AckBroadcaster ack_broadcaster;  // count_in(): plain SUBSCRIBEs, no-op handlers
  SocketsOpApplier sockets_op;
  std::atomic<bool> stopped{false};
  std::atomic<uint64_t> next_id{0};
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending;  // broker's worker only
  hub::LogLimiter log_limiter;

  State(Broker& b, ClusterChannels c, std::string u, uint32_t t, size_t max_answer,
        const ClusterNodeTable& n, LocalSockets l, intra::EventBus& e)
      : broker(b),
        channels(std::move(c)),
        uid(std::move(u)),
        timeout_ms(t),
        max_answer_bytes(max_answer),
        nodes(n),
        local(std::move(l)),
        bus(e) {}

  void send(std::string topic, std::string payload) {
    Message m;
    m.topic = std::move(topic);
    m.payload = std::move(payload);
    broker.publish(std::move(m), [self = shared_from_this()](const Error& err) {
      if (err && self->log_limiter.allow())
        spdlog::warn("cluster: request/response refused by broker {}: {}", self->broker.name(),
                     err.to_string());
    });
  }

  // On the broker's worker from here on.
  void finish(const std::string& id) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    auto p = it->second;
    pending.erase(it);
    if (p->timer) p->timer->cancel();
    auto report = [&p](auto& result, auto& done) {
      result.nodes = p->answered + (p->local_done ? 1 : 0);
      result.expected = p->expected + 1;
      done(std::move(result));
    };
    if (p->kind == cluster::RequestKind::server_side_emit)
      report(p->emit, p->emit_done);
    else if (p->kind == cluster::RequestKind::room_counts)
      report(p->counts, p->counts_done);
    else
      report(p->fetch, p->fetch_done);
  }

  void maybe_finish(const std::string& id, Pending& p) {
    if (p.local_done && p.waiting.empty()) finish(id);
  }

  // Registers `p`, arms its timeout and publishes `request` when other nodes live.
  void begin(std::shared_ptr<Pending> p, cluster::Request request, uint32_t timeout) {
    for (auto& h : nodes.alive(ClusterNodeTable::Clock::now())) p->waiting.insert(h.uid);
    p->expected = p->waiting.size();
    p->timer = std::make_unique<boost::asio::steady_timer>(broker.worker().io());
    p->timer->expires_after(std::chrono::milliseconds(timeout));
    std::weak_ptr<State> weak = weak_from_this();
    p->timer->async_wait([weak, id = request.request_id](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = weak.lock()) s->finish(id);
    });
    pending.emplace(request.request_id, p);
    // The broker down: no node can answer; this node's part alone, at once.
    if (broker.health().state != BrokerState::up) p->waiting.clear();
    if (!p->waiting.empty()) send(channels.request(p->nsp), cluster::encode_request(request));
  }

  // Asks the other nodes `r` (its kind, uid and id set here) and adds this
  // node's part: `compute(all)` turns this node's sockets into it, where
  // `local` answers, and `merge(pending, part)` adds it on the worker.
  // Finishes once every live node answered, or at the timeout.
  template <class Compute, class Merge>
  void ask(std::shared_ptr<Pending> p, cluster::Request r, Compute compute, Merge merge) {
    r.kind = p->kind;
    r.uid = uid;
    r.request_id = new_id();
    const std::string id = r.request_id;
    begin(p, std::move(r), timeout_ms);
    local([s = shared_from_this(), id, compute = std::move(compute),
           merge = std::move(merge)](std::vector<cluster::SocketInfo> all) mutable {
      s->broker.worker().post([s, id, merge, part = compute(std::move(all))]() mutable {
        auto it = s->pending.find(id);
        if (it == s->pending.end()) return;
        auto& p = *it->second;
        merge(p, std::move(part));
        p.local_done = true;
        s->maybe_finish(id, p);
      });
    });
  }

  // A serverSideEmit on this node's bus; the answer says what it reached.
  json::value emit_here(const json::array& data) {
    size_t routed = 0;
    const size_t n = bus.emit(data[0].as_string(), bus_payload(data), &routed);
    return json::object{{"node", uid}, {"delivered", n}, {"routed", routed}};
  }

  std::string new_id() {
    return uid + "-" + std::to_string(next_id.fetch_add(1, std::memory_order_relaxed) + 1);
  }

  void on_response(const Message& m, Ack& ack) {
    // msgpack answers are Node.js peers' broadcast acks: not ours to take.
    if (m.payload.empty() || m.payload[0] != '{') return;
    cluster::Response r;
    if (!cluster::decode_response(m.payload, r)) return ack.bad("not a cluster response");
    auto it = pending.find(r.request_id);
    if (it == pending.end()) return;  // another node's request, or too late
    auto p = it->second;
    if (p->kind == cluster::RequestKind::server_side_emit) {
      if (!r.data) return;
      p->emit.responses.push_back(std::move(*r.data));
    } else if (p->kind == cluster::RequestKind::room_counts) {
      if (!r.room_counts) return;
      for (auto& [room, n] : *r.room_counts) p->counts.rooms[room] += n;
      if (r.truncated) p->counts.truncated.push_back(Truncation{r.node, 0});
    } else {
      if (!r.sockets) return;
      if (r.truncated) p->fetch.truncated.push_back(Truncation{r.node, r.total});
      for (auto& s : *r.sockets) {
        s.nsp = p->nsp;
        if (s.node.empty()) s.node = r.node;
        p->fetch.sockets.push_back(std::move(s));
      }
    }
    ++p->answered;
    p->waiting.erase(r.node);  // a Node.js peer has no node id: not waited for
    maybe_finish(r.request_id, *p);
  }

  // msgpack on the request channel: a Node.js peer's broadcast with acks.
  void on_ack_broadcast(const std::string& nsp, const Message& m, Ack& ack) {
    if (!ack_broadcaster) return;
    emitter::AckBroadcast a;
    const auto err = emitter::decode_ack_broadcast(m.payload, a);
    if (err == emitter::DecodeError::UnknownRequest) return;  // another msgpack request
    if (err != emitter::DecodeError::None) return ack.bad("bad broadcast with acks");
    if (a.broadcast.uid == uid || a.broadcast.local || a.broadcast.nsp != nsp) return;
    std::weak_ptr<State> weak = weak_from_this();
    const std::string id = a.request_id;
    ack_broadcaster(
        std::move(a),
        [weak, id, nsp](size_t n) {
          if (auto s = weak.lock())
            s->send(s->channels.response(nsp), emitter::encode_client_count(id, n));
        },
        [weak, id, nsp](json::value arg) {
          if (auto s = weak.lock())
            s->send(s->channels.response(nsp), emitter::encode_broadcast_ack(id, arg));
        });
  }

  void on_request(const Message& m, Ack& ack) {
    auto nsp = channels.nsp_of_request(m.topic);
    if (!nsp) return;
    if (!m.payload.empty() && m.payload[0] != '{') return on_ack_broadcast(*nsp, m, ack);
    cluster::Request r;
    // Join/leave/disconnect by `opts` and plain serverSideEmit are the EmitterBridge's.
    if (!cluster::decode_request(m.payload, r)) return;
    if (r.uid == uid) return;  // ours, back from the broker
    // Every asker is answered, Node.js peers too: on Redis this node is
    // subscribed to the request channels (count_in()), so a Node.js peer
    // counts it (`PUBSUB NUMSUB`) and waits for its answer.
    (void)ack;
    auto self = shared_from_this();
    switch (r.kind) {
      case cluster::RequestKind::all_sockets:
        local([self, r = std::move(r), nsp = *nsp](std::vector<cluster::SocketInfo> all) {
          std::vector<std::string> ids;
          for (auto& s : select_sockets(all, nsp, r.rooms, {})) ids.push_back(std::move(s.id));
          self->send(self->channels.response(nsp),
                     cluster::encode_socket_ids_response(r.request_id, self->uid, ids));
        });
        return;
      case cluster::RequestKind::fetch_sockets:
        local([self, r = std::move(r), nsp = *nsp](std::vector<cluster::SocketInfo> all) {
          self->send(self->channels.response(nsp),
                     cluster::encode_sockets_response(r.request_id, self->uid,
                                                      select_sockets(all, nsp, r.rooms, r.except),
                                                      self->max_answer_bytes));
        });
        return;
      case cluster::RequestKind::room_counts:
        local([self, id = r.request_id, nsp = *nsp](std::vector<cluster::SocketInfo> all) {
          self->send(self->channels.response(nsp),
                     cluster::encode_room_counts_response(id, self->uid, count_rooms(all, nsp),
                                                          self->max_answer_bytes));
        });
        return;
      case cluster::RequestKind::all_rooms:
        local([self, id = r.request_id, nsp = *nsp](std::vector<cluster::SocketInfo> all) {
          std::set<std::string> rooms;
          for (auto& s : all)
            if (s.nsp == nsp) rooms.insert(s.rooms.begin(), s.rooms.end());
          self->send(self->channels.response(nsp),
                     cluster::encode_rooms_response(
                         id, self->uid, std::vector<std::string>(rooms.begin(), rooms.end())));
        });
        return;
      case cluster::RequestKind::remote_join:
      case cluster::RequestKind::remote_leave:
      case cluster::RequestKind::remote_disconnect:
        if (!sockets_op) return;
        local([self, r = std::move(r), nsp = *nsp](std::vector<cluster::SocketInfo> all) {
          bool here = false;
          for (auto& s : all) here = here || (s.nsp == nsp && s.id == r.sid);
          if (!here) return;  // another node's socket (or none): its node answers
          // The socket's own room selects it, as a Node.js RemoteSocket does.
          sio::SocketsOp op;
          op.nsp = nsp;
          op.rooms = {r.sid};
          op.kind = r.kind == cluster::RequestKind::remote_join    ? sio::SocketsOpKind::join
                    : r.kind == cluster::RequestKind::remote_leave ? sio::SocketsOpKind::leave
                                                                   : sio::SocketsOpKind::disconnect;
          op.targets = r.targets;
          op.close = r.close;
          self->sockets_op(std::move(op));
          self->send(self->channels.response(nsp), cluster::encode_done_response(r.request_id));
        });
        return;
      case cluster::RequestKind::server_side_emit: {
        send(channels.response(*nsp),
             cluster::encode_emit_response(r.request_id, uid, emit_here(r.data)));
        return;
      }
    }
  }
};

ClusterRequests::ClusterRequests(Broker& broker, ClusterChannels channels, std::string uid,
                                 uint32_t timeout_ms, size_t max_answer_bytes,
                                 const ClusterNodeTable& nodes, LocalSockets local,
                                 intra::EventBus& bus)
    : st_(std::make_shared<State>(broker, std::move(channels), std::move(uid), timeout_ms,
                                  max_answer_bytes, nodes, std::move(local), bus)) {
  std::weak_ptr<State> weak = st_;
  auto on_req = [weak](const Message& m, Ack ack) {
    if (auto s = weak.lock()) s->on_request(m, ack);
  };
  auto on_resp = [weak](const Message& m, Ack ack) {
    if (auto s = weak.lock()) s->on_response(m, ack);
  };
  if (st_->channels.scheme() == ClusterScheme::redis) {
    auto* redis = dynamic_cast<RedisBroker*>(&broker);
    if (!redis) throw std::invalid_argument("the cluster's Redis channels need a Redis broker");
    st_->requests_sub = redis->subscribe_glob(st_->channels.request_subscription(), on_req);
    st_->responses_sub = redis->subscribe_glob(st_->channels.response_subscription(), on_resp);
  } else {
    st_->requests_sub = broker.subscribe(st_->channels.request_subscription(), on_req, {});
    st_->responses_sub = broker.subscribe(st_->channels.response_subscription(), on_resp, {});
  }
}

ClusterRequests::~ClusterRequests() {
  st_->broker.unsubscribe(st_->requests_sub);
  st_->broker.unsubscribe(st_->responses_sub);
  for (auto id : st_->counted_subs) st_->broker.unsubscribe(id);
}

void ClusterRequests::set_ack_broadcaster(AckBroadcaster b) {
  if (st_->channels.scheme() == ClusterScheme::redis) st_->ack_broadcaster = std::move(b);
}

void ClusterRequests::set_sockets_op(SocketsOpApplier f) {
  if (st_->channels.scheme() == ClusterScheme::redis) st_->sockets_op = std::move(f);
}

void ClusterRequests::count_in(const std::vector<std::string>& nsps) {
  if (st_->channels.scheme() != ClusterScheme::redis) return;
  auto* redis = dynamic_cast<RedisBroker*>(&st_->broker);
  if (!redis) return;
  // The PSUBSCRIBE takes the messages; these only make the node counted
  // (their deliveries go to no-op handlers: each request is handled once).
  for (auto& nsp : nsps)
    st_->counted_subs.push_back(
        redis->subscribe_channel(st_->channels.request(nsp), [](const Message&, Ack) {}));
}

uint32_t ClusterRequests::timeout_ms() const {
  return st_->timeout_ms;
}

void ClusterRequests::fetch_sockets(std::string nsp, std::vector<std::string> rooms,
                                    std::vector<std::string> except,
                                    std::function<void(FetchResult)> done) {
  if (st_->stopped.load()) return done(FetchResult{});
  st_->broker.worker().post([s = st_, nsp = std::move(nsp), rooms = std::move(rooms),
                             except = std::move(except), done = std::move(done)]() mutable {
    auto p = std::make_shared<State::Pending>();
    p->kind = cluster::RequestKind::fetch_sockets;
    p->nsp = nsp;
    p->fetch_done = std::move(done);
    cluster::Request r;
    r.rooms = rooms;
    r.except = except;
    s->ask(
        std::move(p), std::move(r),
        [nsp, rooms = std::move(rooms),
         except = std::move(except)](std::vector<cluster::SocketInfo> all) {
          return select_sockets(all, nsp, rooms, except);
        },
        [uid = s->uid](State::Pending& p, std::vector<cluster::SocketInfo> mine) {
          for (auto& x : mine) x.node = uid;
          // This node's first.
          p.fetch.sockets.insert(p.fetch.sockets.begin(), std::make_move_iterator(mine.begin()),
                                 std::make_move_iterator(mine.end()));
        });
  });
}

void ClusterRequests::room_counts(std::string nsp, std::function<void(RoomCountsResult)> done) {
  if (st_->stopped.load()) return done(RoomCountsResult{});
  st_->broker.worker().post([s = st_, nsp = std::move(nsp), done = std::move(done)]() mutable {
    auto p = std::make_shared<State::Pending>();
    p->kind = cluster::RequestKind::room_counts;
    p->nsp = nsp;
    p->counts_done = std::move(done);
    s->ask(
        std::move(p), cluster::Request{},
        [nsp](std::vector<cluster::SocketInfo> all) { return count_rooms(all, nsp); },
        [](State::Pending& p, std::map<std::string, uint64_t> mine) {
          for (auto& [room, n] : mine) p.counts.rooms[room] += n;
        });
  });
}

void ClusterRequests::server_side_emit(std::string nsp, json::array data, uint32_t timeout_ms,
                                       std::function<void(EmitResult)> done) {
  if (st_->stopped.load()) return done(EmitResult{});
  st_->broker.worker().post([s = st_, nsp = std::move(nsp), data = std::move(data), timeout_ms,
                             done = std::move(done)]() mutable {
    auto p = std::make_shared<State::Pending>();
    p->kind = cluster::RequestKind::server_side_emit;
    p->nsp = nsp;
    p->emit_done = std::move(done);
    cluster::Request r;
    r.kind = cluster::RequestKind::server_side_emit;
    r.uid = s->uid;
    r.request_id = s->new_id();
    r.data = data;
    const std::string id = r.request_id;
    s->begin(p, std::move(r), timeout_ms ? timeout_ms : s->timeout_ms);
    p->emit.responses.insert(p->emit.responses.begin(), s->emit_here(data));
    p->local_done = true;
    s->maybe_finish(id, *p);
  });
}

void ClusterRequests::stop() {
  if (st_->stopped.exchange(true)) return;
  st_->broker.worker().post([s = st_] {
    std::vector<std::string> ids;
    for (auto& [id, p] : s->pending) ids.push_back(id);
    for (auto& id : ids) s->finish(id);
  });
}

}  // namespace sb::inter_service
