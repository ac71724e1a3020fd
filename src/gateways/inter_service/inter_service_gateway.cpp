#include "gateways/inter_service/inter_service_gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <set>
#include <stdexcept>

#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"
#include "gateways/inter_service/cluster_publisher.hpp"
#include "gateways/inter_service/cluster_requests.hpp"
#include "gateways/inter_service/emitter_bridge.hpp"
#include "gateways/inter_service/recovery_log_nats.hpp"
#include "gateways/inter_service/recovery_log_redis.hpp"
#include "gateways/inter_service/redis_broker.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "hub/log_limiter.hpp"
#include "hub/route_table.hpp"
#include "hub/route_template.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

namespace json = boost::json;

struct InterServiceGateway::Impl {
  struct Entry {
    GatewayBrokerSpec spec;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<EmitterBridge> emitter;
  };
  std::vector<Entry> entries;
  std::vector<net::Worker*> workers;
  sio::SioServer& sio;
  intra::EventBus& bus;
  hub::RouteTable& routes;
  hub::LogLimiter log_limiter;
  ClusterSpec cluster;
  std::unique_ptr<ClusterPublisher> cluster_out;
  std::unique_ptr<EmitterBridge> cluster_in;
  std::unique_ptr<ClusterHeartbeat> cluster_heartbeat;
  std::unique_ptr<ClusterRequests> cluster_requests;
  std::unique_ptr<RedisRecoveryLog> recovery_log;
  std::unique_ptr<NatsRecoveryLog> recovery_log_nats;
  bool wired = false;
  bool started = false;

  Impl(std::vector<net::Worker*> w, sio::SioServer& s, intra::EventBus& b, hub::RouteTable& r)
      : workers(std::move(w)), sio(s), bus(b), routes(r) {}

  const Entry* entry_of(const Broker& b) const {
    for (auto& e : entries)
      if (e.broker.get() == &b) return &e;
    return nullptr;
  }

  template <class... Args>
  void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    if (log_limiter.allow()) spdlog::warn(fmt, std::forward<Args>(args)...);
  }
};

namespace {

// The "broker:<topic>" route target: publishes with the route's broker codec.
class BrokerSink : public hub::RouteSink {
 public:
  explicit BrokerSink(InterServiceGateway& g) : g_(g) {}
  bool deliver(const hub::Delivery& d, std::string& error) override {
    Broker* b = d.broker.empty() ? &g_.default_broker() : g_.find(d.broker);
    if (!b) {
      error = "no broker \"" + std::string(d.broker) + "\"";
      return false;
    }
    // Accepted here; a refusal later (queue full, broker error) is logged by
    // the callback and counted by the broker (`refused`), never silent.
    g_.publish(*b, d.target, d.data,
               [name = b->name(), topic = std::string(d.target)](const Error& err) {
                 if (err)
                   spdlog::warn("routes: broker {} refused a message for \"{}\": {}", name, topic,
                                err.to_string());
               });
    return true;
  }

 private:
  InterServiceGateway& g_;
};

json::value event_data(const sio::Event& e) {
  if (e.args.size() == 1) return e.args[0];
  return json::value(e.args);
}

json::value error_value(const Error& err) {
  return json::object{{"error", errc_name(err.code)}, {"message", err.to_string()}};
}

}  // namespace

InterServiceGateway::InterServiceGateway(std::vector<GatewayBrokerSpec> specs,
                                         std::vector<net::Worker*> workers, sio::SioServer& sio,
                                         intra::EventBus& bus, hub::RouteTable& routes)
    : impl_(std::make_unique<Impl>(std::move(workers), sio, bus, routes)) {
  auto& im = *impl_;
  if (specs.empty()) {
    GatewayBrokerSpec mem;
    mem.broker.name = "memory";
    mem.broker.kind = "memory";
    specs.push_back(std::move(mem));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto& s = specs[i];
    const std::string where = "brokers[" + std::to_string(i) + "]";
    if (s.broker.name.empty()) s.broker.name = s.broker.kind;
    if (!names.insert(s.broker.name).second)
      throw std::invalid_argument(where + ".name: \"" + s.broker.name + "\" is used twice");
    if (!s.emitter_prefix.empty() && s.broker.kind != "redis")
      throw std::invalid_argument(where +
                                  ".emitter_prefix: the Socket.IO emitter speaks Redis only");
    Impl::Entry e;
    try {
      e.broker = make_broker(s.broker, *im.workers[i % im.workers.size()]);
    } catch (const std::invalid_argument& ex) {
      throw std::invalid_argument(where + "." + ex.what());
    }
    e.spec = std::move(s);
    im.entries.push_back(std::move(e));
  }
}

InterServiceGateway::~InterServiceGateway() {
  stop();
}

std::string InterServiceGateway::default_broker_name(const std::vector<GatewayBrokerSpec>& specs) {
  if (specs.empty()) return "memory";
  return specs[0].broker.name.empty() ? specs[0].broker.kind : specs[0].broker.name;
}

Broker* InterServiceGateway::find(std::string_view name) const {
  for (auto& e : impl_->entries)
    if (e.broker->name() == name) return e.broker.get();
  return nullptr;
}

Broker& InterServiceGateway::default_broker() const {
  return *impl_->entries.front().broker;
}

Codec InterServiceGateway::codec_of(const Broker& b) const {
  auto* e = impl_->entry_of(b);
  return e ? e->spec.codec : Codec::nest;
}

void InterServiceGateway::publish(Broker& b, std::string_view topic, const json::value& data,
                                  PublishCallback done) {
  Message m;
  m.topic = std::string(topic);
  m.payload = encode_event(codec_of(b), b.kind(), topic, data);
  b.publish(
      std::move(m), done ? std::move(done) : [](const Error&) {});
}

void InterServiceGateway::request(Broker& b, std::string_view topic, const json::value& data,
                                  uint32_t timeout_ms, RequestDone done) {
  const Codec codec = codec_of(b);
  Message m;
  encode_request(codec, b.kind(), topic, data, m);
  RequestOptions o;
  o.timeout_ms = timeout_ms;
  b.request(std::move(m), o,
            [codec, kind = std::string(b.kind()), done = std::move(done)](const Error& err,
                                                                          Message reply) {
              if (err) return done(err, ReplyValue{false, nullptr});
              done(err, decode_reply(codec, kind, reply));
            });
}

void InterServiceGateway::set_cluster(ClusterSpec spec) {
  auto& im = *impl_;
  if (!spec.enabled) return;
  Broker* b = find(spec.broker);
  if (!b) throw std::invalid_argument("cluster.broker: no broker named \"" + spec.broker + "\"");
  const std::string_view kind = b->kind();
  if (kind != "redis" && kind != "nats")
    throw std::invalid_argument("cluster.broker: \"" + spec.broker + "\" is a " +
                                std::string(kind) + " broker; the cluster needs redis or nats");
  const auto scheme = kind == "redis" ? ClusterScheme::redis : ClusterScheme::nats;
  if (auto why = ClusterChannels::check_prefix(scheme, spec.prefix); !why.empty())
    throw std::invalid_argument("cluster.prefix: " + why);
  if (spec.uid.empty()) spec.uid = ClusterPublisher::random_uid();
  im.cluster = std::move(spec);
}

std::string InterServiceGateway::cluster_uid() const {
  return impl_->cluster.enabled ? impl_->cluster.uid : std::string();
}

ClusterHeartbeat* InterServiceGateway::cluster_presence() const {
  return impl_->cluster_heartbeat.get();
}

ClusterRequests* InterServiceGateway::cluster_requests() const {
  return impl_->cluster_requests.get();
}

void InterServiceGateway::wire() {
  auto& im = *impl_;
  if (im.wired) return;
  im.wired = true;
  im.routes.set_sink("broker", std::make_shared<BrokerSink>(*this));

  // A message taken from a broker: decoded once, then `use(topic, data)`; a
  // Nest request gets `{"delivered": n}` back, so `send` completes.
  auto take = [](Broker* b, Codec codec,
                 std::function<size_t(const std::string& topic, const json::value& data)> use) {
    return [b, codec, use = std::move(use)](const Message& msg, Ack ack) {
      Decoded d;
      // The broker logs (rate-limited) and counts what a handler refuses.
      if (auto err = decode_message(codec, b->kind(), msg, d)) return ack.bad(*err);
      const size_t n = use(msg.topic, d.data);
      if (d.request_id) {
        auto reply =
            encode_reply(codec, b->kind(), *d.request_id, json::object{{"delivered", n}}, false);
        b->reply(msg, std::move(reply), [b, topic = msg.topic](const Error& err) {
          if (err)
            spdlog::warn("broker {}: reply to \"{}\" failed: {}", b->name(), topic,
                         err.to_string());
        });
      }
      ack.ok();
    };
  };

  // Broker sources of routes: one subscription per broker and pattern.
  std::set<std::pair<std::string, std::string>> subscribed;
  std::map<std::pair<std::string, std::string>, std::vector<hub::RouteSource>> client_routes;
  for (auto& src : im.routes.sources()) {
    if (src.source == "client") {
      client_routes[{src.origin, src.pattern}].push_back(src);
      continue;
    }
    if (src.source != "broker") continue;
    Broker* b = src.origin.empty() ? &default_broker() : find(src.origin);
    if (!b) throw std::invalid_argument("routes: no broker \"" + src.origin + "\"");
    if (!subscribed.insert({b->name(), src.pattern}).second) continue;
    const std::string name = b->name();
    b->subscribe(src.pattern,
                 take(b, codec_of(*b),
                      [this, name](const std::string& topic, const json::value& data) {
                        return impl_->routes.apply("broker", topic, data, name);
                      }),
                 {});
  }
  // Topics forwarded to the event bus.
  for (auto& e : im.entries) {
    for (auto& pattern : e.spec.bus) {
      e.broker->subscribe(pattern,
                          take(e.broker.get(), e.spec.codec,
                               [this](const std::string& topic, const json::value& data) {
                                 size_t routed = 0;
                                 const size_t n = impl_->bus.emit(topic, data, &routed);
                                 return n + routed;
                               }),
                          {});
    }
    // The cluster's bridge listens on the same channels: one bridge, or
    // every message would be applied twice.
    const bool cluster_covers = im.cluster.enabled && e.broker->name() == im.cluster.broker &&
                                e.spec.emitter_prefix == im.cluster.prefix;
    if (!e.spec.emitter_prefix.empty() && !cluster_covers)
      e.emitter = std::make_unique<EmitterBridge>(
          *e.broker, ClusterChannels(ClusterScheme::redis, e.spec.emitter_prefix), std::string(),
          im.sio, im.bus);
  }
  if (im.cluster.enabled) {
    Broker& b = *find(im.cluster.broker);
    const ClusterScheme scheme =
        std::string_view(b.kind()) == "redis" ? ClusterScheme::redis : ClusterScheme::nats;
    ClusterChannels channels(scheme, im.cluster.prefix);
    im.cluster_in = std::make_unique<EmitterBridge>(b, channels, im.cluster.uid, im.sio, im.bus);
    im.cluster_out = std::make_unique<ClusterPublisher>(b, channels, im.cluster.uid);
    im.sio.set_cluster(im.cluster_out.get());
    if (im.cluster.local) {
      if (im.cluster.presence_events)
        im.cluster.heartbeat.on_change = [bus = &im.bus](const std::string& user, bool online) {
          bus->emit(online ? "presence.online" : "presence.offline", json::object{{"user", user}});
        };
      im.cluster_heartbeat = std::make_unique<ClusterHeartbeat>(
          b, channels, im.cluster.uid, im.cluster.heartbeat, im.cluster.local);
      im.cluster_requests = std::make_unique<ClusterRequests>(
          b, channels, im.cluster.uid, im.cluster.request_timeout_ms, im.cluster.max_answer_bytes,
          im.cluster_heartbeat->nodes(), im.cluster.local, im.bus);
      im.cluster_requests->count_in(im.sio.namespace_names());
      // A Node.js peer's remoteJoin/.. of one of this node's sockets.
      im.cluster_requests->set_sockets_op(
          [sio = &im.sio](sio::SocketsOp op) { sio->sockets_op(std::move(op), /*local=*/true); });
      // A Node.js peer's broadcast with acks: counted from a snapshot, then
      // sent to those sockets only, so the count and the acks agree.
      im.cluster_requests->set_ack_broadcaster(
          [sio = &im.sio, local = im.cluster.local](emitter::AckBroadcast a,
                                                    std::function<void(size_t)> count,
                                                    std::function<void(json::value)> ack) {
            auto shared = std::make_shared<emitter::AckBroadcast>(std::move(a));
            local([sio, shared, count, ack](std::vector<cluster::SocketInfo> all) {
              auto& b = shared->broadcast;
              auto ids = std::make_shared<std::set<std::string, std::less<>>>();
              for (auto& s : select_sockets(all, b.nsp, b.rooms, b.except)) ids->insert(s.id);
              count(ids->size());
              if (ids->empty() || !sio->find_namespace(b.nsp)) return;
              const auto timeout =
                  std::chrono::milliseconds(shared->timeout_ms ? shared->timeout_ms : 10000);
              sio->for_each_socket(
                  b.nsp, b.rooms, b.except, [shared, ids, ack, timeout](sio::Socket& s) {
                    if (!ids->count(s.id())) return;
                    auto& d = shared->broadcast.data;
                    std::vector<sio::Bytes> attachments(shared->broadcast.attachments.begin(),
                                                        shared->broadcast.attachments.end());
                    s.emit_with_ack(
                        std::string(d[0].as_string()), json::array(d.begin() + 1, d.end()), timeout,
                        [ack](sio::AckResult r) {
                          if (r.ok) ack(r.args.empty() ? json::value(nullptr) : r.args[0]);
                        },
                        std::move(attachments));
                  });
            });
          });
    }
    // Connection state recovery across the nodes: a Redis Stream next to the
    // pub/sub channels, or JetStream streams on NATS.
    const std::string* url = nullptr;
    for (auto& e : im.entries)
      if (e.broker.get() == &b) url = &e.spec.broker.url;
    if (scheme == ClusterScheme::redis && im.sio.options().recovery.enabled) {
      RedisRecoveryLogOptions lo;
      if (url) lo.url = parse_redis_url(*url);
      lo.prefix = im.cluster.prefix;
      lo.uid = im.cluster.uid;
      lo.recovery = im.sio.options().recovery;
      lo.restore_timeout_ms = im.cluster.request_timeout_ms;
      im.recovery_log = std::make_unique<RedisRecoveryLog>(lo, im.sio, *im.cluster_out);
      im.sio.set_shared_recovery(im.recovery_log.get());
    } else if (scheme == ClusterScheme::nats && im.sio.options().recovery.enabled) {
      NatsRecoveryLogOptions lo;
      if (url && !url->empty()) lo.servers = parse_nats_urls(*url);
      lo.prefix = im.cluster.prefix;
      lo.uid = im.cluster.uid;
      lo.recovery = im.sio.options().recovery;
      lo.restore_timeout_ms = im.cluster.request_timeout_ms;
      // No JetStream on the server: each node keeps its own history (the
      // log already said so).
      lo.on_unavailable = [sio = &im.sio] { sio->set_shared_recovery(nullptr); };
      im.recovery_log_nats = std::make_unique<NatsRecoveryLog>(lo, im.sio, *im.cluster_out);
      im.sio.set_shared_recovery(im.recovery_log_nats.get());
    }
    spdlog::info("cluster: node {} on broker {} ({}), prefix \"{}\"{}", im.cluster.uid, b.name(),
                 b.kind(), im.cluster.prefix,
                 im.recovery_log ? ", recovery shared through the stream"
                 : im.recovery_log_nats
                     ? ", recovery shared through JetStream (if the server has it)"
                     : "");
  }
  // Client events: one handler per namespace and event.
  for (auto& [key, list] : client_routes) {
    const auto& [nsp, event] = key;
    if (!im.sio.find_namespace(nsp))
      throw std::invalid_argument("routes: client:" + event + ": no namespace \"" + nsp + "\"");
    const bool include_sender = list.front().include_sender;
    std::optional<hub::RouteSource> reply_route;
    bool plain = false;
    for (auto& r : list) {
      if (r.include_sender != include_sender)
        throw std::invalid_argument("routes: client:" + event +
                                    ": every route of one client event must agree on "
                                    "include_sender");
      if (r.reply) {
        if (reply_route)
          throw std::invalid_argument("routes: client:" + event + ": two routes ask for a reply");
        reply_route = r;
      } else {
        plain = true;
      }
    }
    Broker* reply_broker = nullptr;
    std::optional<hub::RouteTemplate> reply_topic;
    uint32_t timeout_ms = 5000;
    if (reply_route) {
      // The reply route's broker is the route's (resolved by the module).
      const std::string bname = reply_route->broker;
      reply_broker = bname.empty() ? &default_broker() : find(bname);
      if (!reply_broker) throw std::invalid_argument("routes: no broker \"" + bname + "\"");
      reply_topic = hub::RouteTemplate::parse(std::string_view(reply_route->to[0]).substr(7));
      if (auto* e = im.entry_of(*reply_broker)) timeout_ms = e->spec.request_timeout_ms;
    }
    auto handler = [this, nsp = nsp, event = event, include_sender, plain, reply_broker,
                    reply_topic, timeout_ms](sio::Socket& s, sio::Event& e) {
      json::value data = event_data(e);
      if (include_sender) {
        json::object o;
        o["user"] = s.user_id().empty() ? json::value(nullptr) : json::value(s.user_id());
        o["socket"] = s.id();
        o["data"] = std::move(data);
        data = std::move(o);
      }
      size_t n = 0;
      if (plain) n = impl_->routes.apply("client", event, data, nsp);
      if (!reply_broker) {
        if (e.wants_ack()) s.ack(e, json::array{json::object{{"delivered", n}}});
        return;
      }
      std::string topic, error;
      if (!reply_topic->expand(event, data, topic, error)) {
        impl_->warn("routes: client:{}: cannot make the topic: {}", event, error);
        if (e.wants_ack())
          s.ack(e, json::array{json::object{{"error", "bad_request"}, {"message", error}}});
        return;
      }
      std::weak_ptr<sio::Socket> weak = s.weak_from_this();
      const unsigned w = s.worker_index();
      const std::optional<uint64_t> ack_id = e.ack_id;
      request(*reply_broker, topic, data, timeout_ms,
              [this, weak, w, ack_id](const Error& err, const ReplyValue& reply) {
                if (!ack_id) return;
                json::value answer = err ? error_value(err)
                                     : reply.ok
                                         ? reply.value
                                         : json::value(json::object{{"error", "remote_error"},
                                                                    {"message", reply.value}});
                impl_->sio.post(w, [weak, ack_id, answer = std::move(answer)]() mutable {
                  auto sock = weak.lock();
                  if (!sock) return;
                  sio::Event ev;
                  ev.ack_id = ack_id;
                  sock->ack(ev, json::array{std::move(answer)});
                });
              });
    };
    im.sio.of(nsp).on(event, std::move(handler));
  }
}

void InterServiceGateway::start() {
  auto& im = *impl_;
  if (im.started) return;
  im.started = true;
  for (auto& e : im.entries) e.broker->start();
  if (im.cluster_heartbeat) im.cluster_heartbeat->start();
  if (im.recovery_log) im.recovery_log->start();
  if (im.recovery_log_nats) im.recovery_log_nats->start();
}

void InterServiceGateway::stop() {
  auto& im = *impl_;
  // No more publishes to a stopping broker (emits may still come from other threads).
  if (im.cluster_out) im.sio.set_cluster(nullptr);
  if (im.recovery_log || im.recovery_log_nats) im.sio.set_shared_recovery(nullptr);
  if (!im.started) return;
  if (im.recovery_log) im.recovery_log->stop();
  if (im.recovery_log_nats) im.recovery_log_nats->stop();
  // Says bye while the broker still runs, so the other nodes drop this one now.
  if (im.cluster_heartbeat) im.cluster_heartbeat->stop();
  if (im.cluster_requests) im.cluster_requests->stop();
  im.started = false;
  for (auto& e : im.entries) e.broker->stop();
}

std::vector<BrokerStatus> InterServiceGateway::status() const {
  std::vector<BrokerStatus> out;
  for (auto& e : impl_->entries)
    out.push_back(BrokerStatus{e.broker->name(), e.broker->kind(), e.spec.required,
                               e.broker->health(), e.broker->counters()});
  return out;
}

bool InterServiceGateway::ready() const {
  for (auto& e : impl_->entries)
    if (e.spec.required && e.broker->health().state != BrokerState::up) return false;
  return true;
}

}  // namespace sb::inter_service
