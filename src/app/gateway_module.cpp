#include "app/gateway_module.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <charconv>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "api/api_router.hpp"
#include "api/cluster_presence.hpp"
#include "api/emit_endpoint.hpp"
#include "app/route_sinks.hpp"
#include "app/version.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/key_ring.hpp"
#include "gateways/client/builtin_handlers.hpp"
#include "gateways/client/echo_app.hpp"
#include "gateways/client/eio_server.hpp"
#include "gateways/client/inbox_service.hpp"
#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/broker_factory.hpp"
#include "gateways/inter_service/cluster_publisher.hpp"
#include "gateways/inter_service/cluster_requests.hpp"
#include "gateways/inter_service/inter_service_gateway.hpp"
#include "gateways/intra_service/dashboard_handler.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "gateways/intra_service/log_stream.hpp"
#include "gateways/intra_service/metrics_collector.hpp"
#include "gateways/intra_service/sse_server.hpp"
#include "hub/log_limiter.hpp"
#include "hub/route_table.hpp"
#include "net/http_connection.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "net/tls_terminator.hpp"
#include "net/worker.hpp"
#include "store/redis_inbox_store.hpp"
#include "store/sqlite_inbox_store.hpp"

namespace sb {

static std::vector<hub::RouteSpec> route_specs(const Config& c);

struct GatewayModule::Impl {
  Config config;
  std::vector<std::unique_ptr<net::Worker>> workers;
  std::vector<net::Worker*> worker_ptrs;
  std::vector<std::shared_ptr<net::Listener>> listeners;
  std::vector<std::shared_ptr<net::Listener>> tls_listeners;  // [tls] port, one per worker
  std::unique_ptr<net::TlsContextSlot> tls;                   // [tls] enabled
  std::shared_ptr<const JwtVerifier> verifier;  // at start; `keys` holds the one in force
  std::shared_ptr<KeyRing> keys;
  std::unique_ptr<sio::SioServer> sio;
  std::shared_ptr<sio::InboxService> inbox;  // after sio: stopped before it goes
  std::unique_ptr<eio::EioServer> sio_endpoint;
  std::unique_ptr<eio::EioServer> echo_endpoint;
  std::unique_ptr<intra::EventBus> bus;
  std::unique_ptr<intra::SseServer> sse;
  std::unique_ptr<hub::RouteTable> routes;
  std::unique_ptr<intra::MetricsCollector> metrics;
  std::unique_ptr<inter_service::InterServiceGateway> inter;
  std::unique_ptr<api::ApiRouter> api;
  std::shared_ptr<api::Presence> local_presence;  // this node's sockets (also for the cluster)
  net::HttpLimits http_limits;
  std::string node_uid;  // the cluster's id of this node (also the inbox's claims); "" = no cluster
  uint16_t bound_port = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool running = false;

  void route(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req);
  void accept(net::Worker& w, boost::asio::ip::tcp::socket s, net::PeerInfo peer);
  bool dashboard_authorized(const net::HttpRequest& req) const;
  void build_intra_service();
  void build_inter_service();
  void build_inbox();
  void join_inbox_cluster();
};

// [inbox] store = "redis": the server and database of `redis_url`
// (redis://[[user]:password@]host[:port][/db]). Throws ConfigError.
static store::RedisInboxOptions redis_inbox_options(const Config::Inbox& in, std::string node) {
  store::RedisInboxOptions o;
  try {
    auto u = inter_service::parse_redis_url(in.redis_url);
    o.host = u.host;
    o.port = u.port;
    o.user = u.user;
    o.password = u.password;
  } catch (const std::exception& e) {
    throw ConfigError(std::string("inbox.redis_") + e.what());
  }
  const size_t at = in.redis_url.rfind('@');
  const size_t host = at == std::string::npos ? in.redis_url.find("://") + 3 : at + 1;
  if (const size_t slash = in.redis_url.find('/', host); slash != std::string::npos) {
    const std::string db = in.redis_url.substr(slash + 1);
    if (!db.empty()) {
      int n = -1;
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), n);
      if (ec != std::errc() || end != db.data() + db.size() || n < 0 || n > 65535)
        throw ConfigError("inbox.redis_url: bad database number \"" + db + "\"");
      o.db = n;
    }
  }
  o.key_prefix = in.key_prefix;
  o.node = std::move(node);
  return o;
}

// The notification inbox: opens its store (the SQLite file, a ConfigError naming
// it when it cannot; or Redis, connected now if it is up, else on first use)
// and binds its client events and hooks on "/" before any other binding.
void GatewayModule::Impl::build_inbox() {
  const auto& in = config.inbox;
  if (!in.enabled) return;
  std::unique_ptr<store::InboxStore> st;
  std::string where = in.path;
  if (in.store == "redis") {
    // Claims record a node id even without a cluster (one node: never compared).
    auto o = redis_inbox_options(in, node_uid.empty() ? std::string("single") : node_uid);
    where = "redis " + o.host + ":" + std::to_string(o.port) + "/" + std::to_string(o.db) + " " +
            o.key_prefix;
    auto redis = std::make_unique<store::RedisInboxStore>(std::move(o));
    try {
      redis->connect();
    } catch (const std::exception& e) {
      // Not fatal: calls answer storage_error until Redis is up.
      spdlog::warn("inbox: {} (retried on use)", e.what());
    }
    st = std::move(redis);
  } else {
    try {
      st = std::make_unique<store::SqliteInboxStore>(in.path);
    } catch (const std::exception& e) {
      throw ConfigError(std::string("inbox.path: ") + e.what());
    }
  }
  sio::InboxOptions io;
  io.store_by_default = in.store_by_default;
  io.deliver_missed = in.deliver_missed;
  io.max_missed_push = in.max_missed_push;
  io.max_page = in.max_page;
  io.retention.max_age_ms = static_cast<int64_t>(in.max_age_s) * 1000;
  io.retention.max_per_user = in.max_per_user;
  io.prune_interval_ms = in.prune_interval_s * 1000;
  inbox = std::make_shared<sio::InboxService>(*sio, worker_ptrs, std::move(st), io);
  inbox->attach(sio->of("/"));
  sio->set_inbox(inbox.get());
  spdlog::info("inbox: {}", where);
}

// store = "redis" with [cluster]: the nodes share the inbox; each publishes
// what it stored on the cluster broker (`<cluster.prefix>.inbox`) and the
// others claim and push it to their own sockets (see inbox_service.hpp).
void GatewayModule::Impl::join_inbox_cluster() {
  if (!inbox || config.inbox.store != "redis" || !config.cluster.enabled) return;
  inter_service::Broker* b = inter->find(config.cluster.broker);
  if (!b) return;  // set_cluster refused it already
  const std::string topic = config.cluster.prefix + ".inbox";
  std::weak_ptr<sio::InboxService> weak = inbox;
  try {
    b->subscribe(topic,
                 [weak](const inter_service::Message& m, inter_service::Ack) {
                   if (auto in = weak.lock()) in->on_remote(m.payload);
                 },
                 {});
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("cluster.prefix: ") + e.what());
  }
  auto limiter = std::make_shared<hub::LogLimiter>();
  inbox->set_cluster(sio::InboxCluster{
      node_uid, [b, topic, limiter](std::string payload) {
        b->publish(inter_service::Message{.topic = topic, .payload = std::move(payload)},
                   [limiter](const inter_service::Error& e) {
                     // Unpublished: the other nodes' users get it on their next connect.
                     if (e && limiter->allow())
                       spdlog::warn("inbox: cluster publish refused: {}", e.to_string());
                   });
      }});
}

bool GatewayModule::Impl::dashboard_authorized(const net::HttpRequest& req) const {
  if (config.dashboard.auth == "none") return true;
  const auto api_keys = keys->api_keys();
  if (api_keys->empty()) return false;
  if (api::api_key_valid(req, *api_keys)) return true;
  // EventSource cannot send headers: the page passes the key in the URL.
  if (req.has_query_param("key")) {
    net::HttpRequest probe;
    probe.headers.emplace_back("x-api-key", std::string(req.query_param("key")));
    return api::api_key_valid(probe, *api_keys);
  }
  return false;
}

// The intra-service gateway: event bus, SSE streams, routes, metrics, logs.
void GatewayModule::Impl::build_intra_service() {
  const auto& c = config;
  bus = std::make_unique<intra::EventBus>(worker_ptrs);

  intra::StreamCatalog catalog;
  auto history = [&](int64_t h) { return h >= 0 ? static_cast<size_t>(h) : c.sse.history_size; };
  for (size_t i = 0; i < c.sse.streams.size(); ++i) {
    const auto& sc = c.sse.streams[i];
    const std::string where = "sse.streams[" + std::to_string(i) + "]";
    auto access = intra::parse_access(sc.access);
    if (!access || *access == intra::Access::Dashboard)
      throw ConfigError(where + ".access: expected public, authenticated or user");
    try {
      catalog.add(intra::StreamRule{sc.name, *access, history(sc.history_size)});
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ".name: " + e.what());
    }
  }
  if (c.sse.user_streams)
    catalog.add(intra::StreamRule{"user:*", intra::Access::User, c.sse.history_size});
  if (c.dashboard.enabled) {
    catalog.add(
        intra::StreamRule{intra::kLogsStream, intra::Access::Dashboard, c.dashboard.logs_history});
    catalog.add(
        intra::StreamRule{"metrics", intra::Access::Dashboard, c.dashboard.metrics_history});
  }
  intra::SseOptions so;
  so.heartbeat_ms = c.sse.heartbeat_ms;
  so.retry_ms = c.sse.retry_ms;
  so.max_topics = c.sse.max_topics;
  so.max_buffer_bytes = c.sse.max_buffer_bytes;
  so.max_streams = c.sse.max_streams;
  CorsPolicy sse_cors(c.sse.cors_origins_set ? c.sse.cors_origins : c.engineio.cors_origins,
                      c.engineio.cors_credentials);
  sse = std::make_unique<intra::SseServer>(
      worker_ptrs, so, std::move(catalog), verifier, sse_cors,
      [this](const net::HttpRequest& r) { return dashboard_authorized(r); });
  sse->set_key_ring(keys);

  try {
    routes = std::make_unique<hub::RouteTable>(route_specs(c));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  routes->set_sink("sse", make_sse_sink(*sse));
  routes->set_sink("room", make_room_sink(*sio, false));
  routes->set_sink("user", make_room_sink(*sio, true));
  {  // also with no routes: a reload may add some
    auto* rt = routes.get();
    bus->set_router([rt](std::string_view name, const boost::json::value& payload) {
      return rt->apply("bus", name, payload);
    });
  }

  metrics = std::make_unique<intra::MetricsCollector>(worker_ptrs, sse.get(), bus.get(),
                                                      routes.get(), c.socketio.namespaces.size());
  auto* sio_ptr = sio.get();
  auto* eio_ptr = sio_endpoint.get();
  metrics->add_worker_probe([sio_ptr, eio_ptr](unsigned w, intra::WorkerSnapshot& ws) {
    auto t = eio_ptr->transport_counts(w);
    ws.polling = t.polling;
    ws.websocket = t.websocket;
    auto& counters = sio_ptr->counters(w);
    ws.events_in = counters.events_in.load(std::memory_order_relaxed);
    ws.events_out = counters.packets_out.load(std::memory_order_relaxed);
    for (auto& [nsp, shard] : sio_ptr->shards(w)) {
      if (!shard.sockets.empty()) ws.sockets[nsp] += shard.sockets.size();
      for (auto& [room, members] : shard.rooms) ws.rooms[{nsp, room}] += members.size();
    }
  });
}

// The inter-service gateway: brokers, broker routes, the bus feed, the emitter.
void GatewayModule::Impl::build_inter_service() {
  std::vector<inter_service::GatewayBrokerSpec> specs;
  for (auto& b : config.brokers) {
    inter_service::GatewayBrokerSpec g;
    g.broker.name = b.name;
    g.broker.kind = b.kind;
    g.broker.url = b.url;
    g.broker.max_queued_publishes = b.max_queued_publishes;
    g.broker.max_payload_bytes = config.engineio.max_payload;
    g.broker.group_id = b.group_id;
    g.broker.options = b.options;
    g.codec = *inter_service::parse_codec(b.codec);
    g.bus = b.bus;
    g.required = b.required;
    g.emitter_prefix = b.emitter_prefix;
    g.request_timeout_ms = b.request_timeout_ms;
    specs.push_back(std::move(g));
  }
  try {
    inter = std::make_unique<inter_service::InterServiceGateway>(std::move(specs), worker_ptrs,
                                                                 *sio, *bus, *routes);
    inter_service::ClusterSpec cluster;
    cluster.enabled = config.cluster.enabled;
    cluster.uid = node_uid;
    cluster.broker = config.cluster.broker;
    cluster.prefix = config.cluster.prefix;
    cluster.heartbeat.heartbeat_ms = config.cluster.heartbeat_ms;
    cluster.heartbeat.node_timeout_ms = config.cluster.node_timeout_ms;
    cluster.heartbeat.chunk_users = config.cluster.heartbeat_chunk_users;
    // Every cluster message must fit the broker's bound; half of it for
    // the users leaves room for the envelope and JSON escapes.
    cluster.heartbeat.chunk_bytes = config.engineio.max_payload / 2;
    cluster.max_answer_bytes = config.engineio.max_payload;
    cluster.request_timeout_ms = config.cluster.request_timeout_ms;
    cluster.presence_events = config.cluster.presence_events;
    // This node's sockets for heartbeats and fetchSockets answers.
    cluster.local = [p = local_presence](auto done) {
      p->snapshot([done = std::move(done)](api::PresenceSnapshot s) {
        std::vector<cluster::SocketInfo> out;
        out.reserve(s.sockets.size());
        for (auto& i : s.sockets)
          out.push_back(cluster::SocketInfo{std::move(i.id), std::move(i.nsp), std::move(i.user),
                                            std::string(), std::move(i.rooms)});
        done(std::move(out));
      });
    };
    inter->set_cluster(std::move(cluster));
    inter->wire();
    join_inbox_cluster();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  auto* g = inter.get();
  metrics->set_broker_probe([g] {
    boost::json::array out;
    for (auto& st : g->status()) {
      boost::json::object o;
      o["name"] = st.name;
      o["kind"] = st.kind;
      o["state"] = inter_service::state_name(st.health.state);
      o["required"] = st.required;
      o["last_error"] = st.health.last_error;
      o["reconnects"] = st.health.reconnects;
      o["published"] = st.counters.published;
      o["refused"] = st.counters.refused;
      o["received"] = st.counters.received;
      o["bad"] = st.counters.bad;
      o["failed"] = st.counters.failed;
      o["timeouts"] = st.counters.timeouts;
      out.push_back(std::move(o));
    }
    return out;
  });
}

// Routes that name no broker use the first one (the built-in "memory" when
// none is configured).
static std::vector<hub::RouteSpec> route_specs(const Config& c) {
  std::vector<hub::RouteSpec> specs;
  const std::string default_broker =
      c.brokers.empty() ? std::string("memory") : c.brokers.front().name;
  for (auto& r : c.routes)
    specs.push_back(hub::RouteSpec{r.from, r.to, r.event, r.nsp,
                                   r.broker.empty() ? default_broker : r.broker, r.reply,
                                   r.include_sender, r.store, r.deliver_missed});
  return specs;
}

static std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("auth.jwt_key_file: cannot read \"" + path + "\"");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The JWT verifier of an [auth] section; null when it names no key.
static std::shared_ptr<const JwtVerifier> make_verifier(const Config::Auth& a) {
  if (a.jwt_secret.empty() && a.jwt_key_file.empty()) return nullptr;
  JwtSettings js;
  js.algorithm = a.jwt_algorithm;
  js.key = !a.jwt_key_file.empty() ? read_file(a.jwt_key_file) : a.jwt_secret;
  if (js.algorithm == "HS256" && !a.jwt_key_file.empty()) {
    while (!js.key.empty() && (js.key.back() == '\n' || js.key.back() == '\r')) js.key.pop_back();
  }
  js.audience = a.jwt_audience;
  js.issuer = a.jwt_issuer;
  try {
    return std::make_shared<JwtVerifier>(js);
  } catch (const std::exception& e) {
    throw ConfigError(std::string("auth: ") + e.what());
  }
}

// The TLS context of a [tls] section; a ConfigError names the file at fault.
static net::TlsContextPtr make_tls(const Config::Tls& t) {
  try {
    return net::make_tls_context(t.cert, t.key);
  } catch (const std::exception& e) {
    throw ConfigError(e.what());
  }
}

static bool path_under(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return false;
  // "/socket.io/" also matches "/socket.io" (no trailing slash).
  std::string_view base(prefix);
  if (base.size() > 1 && base.back() == '/') base.remove_suffix(1);
  return path == base || path.rfind(prefix, 0) == 0;
}

GatewayModule::GatewayModule(Config config) : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.config = std::move(config);
  const auto& c = im.config;

  unsigned n =
      c.server.workers ? c.server.workers : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    im.workers.push_back(std::make_unique<net::Worker>(i));
    im.worker_ptrs.push_back(im.workers.back().get());
  }

  im.verifier = make_verifier(c.auth);
  im.keys = std::make_shared<KeyRing>(im.verifier, c.api.keys);
  if (c.tls.enabled) im.tls = std::make_unique<net::TlsContextSlot>(make_tls(c.tls));

  sio::SioOptions so;
  so.connect_timeout_ms = c.socketio.connect_timeout_ms;
  so.ack_timeout_ms = c.socketio.ack_timeout_ms;
  so.max_attachments = c.socketio.max_attachments;
  so.allow_anonymous = c.auth.allow_anonymous;
  so.recovery.enabled = c.socketio.recovery.enabled;
  so.recovery.max_disconnection_ms = c.socketio.recovery.max_disconnection_ms;
  so.recovery.max_packets = c.socketio.recovery.max_packets;
  so.events_per_second = c.limits.events_per_second;
  so.event_burst = std::max(1u, c.limits.event_burst);
  so.max_rooms = c.limits.max_rooms_per_socket;
  so.max_name_bytes = c.limits.max_name_bytes;
  so.max_pending_acks = c.limits.max_pending_acks;
  im.sio = std::make_unique<sio::SioServer>(im.worker_ptrs, so, im.verifier);
  im.sio->set_key_ring(im.keys);
  if (c.cluster.enabled) im.node_uid = inter_service::ClusterPublisher::random_uid();
  im.build_inbox();

  for (size_t i = 0; i < c.socketio.namespaces.size(); ++i) {
    const auto& nc = c.socketio.namespaces[i];
    auto& ns = im.sio->of(nc.name);
    const std::string where = "socketio.namespaces[" + std::to_string(i) + "]";
    try {
      if (!nc.on_connect.empty()) ns.on_connection(sio::make_builtin_hook(nc.on_connect));
    } catch (const std::exception& e) {
      throw ConfigError(where + ".on_connect: " + e.what());
    }
    for (auto& b : nc.events) {
      try {
        if (b.event == "*")  // the catch-all: events no other binding names
          ns.on_any(sio::make_builtin_handler(b.handler));
        else
          ns.on(b.event, sio::make_builtin_handler(b.handler));
      } catch (const std::exception& e) {
        throw ConfigError(where + ".events." + b.event + ": " + e.what());
      }
    }
  }

  eio::EioOptions eo;
  eo.ping_interval_ms = c.engineio.ping_interval_ms;
  eo.ping_timeout_ms = c.engineio.ping_timeout_ms;
  eo.upgrade_timeout_ms = c.engineio.upgrade_timeout_ms;
  eo.max_payload = c.engineio.max_payload;
  eo.allowed_origins = c.engineio.allowed_origins;
  eo.max_connections = c.limits.max_connections;
  eo.max_connections_per_ip = c.limits.max_connections_per_ip;
  eo.handshakes_per_second = c.limits.handshakes_per_second;
  eo.handshake_burst = std::max(1u, c.limits.handshake_burst);
  eo.allow_polling = eo.allow_websocket = false;
  for (auto& t : c.engineio.transports) {
    if (t == "polling") eo.allow_polling = true;
    if (t == "websocket") eo.allow_websocket = true;
  }
  CorsPolicy cors(c.engineio.cors_origins, c.engineio.cors_credentials);
  net::WsLimits wl;
  wl.max_outbound_bytes = c.limits.max_outbound_bytes;
  auto* sio_ptr = im.sio.get();
  im.sio_endpoint = std::make_unique<eio::EioServer>(
      im.worker_ptrs, eo, cors, wl,
      [sio_ptr](eio::EioSession& s) { return sio_ptr->make_client(s); });
  if (!c.echo.path.empty()) {
    im.echo_endpoint = std::make_unique<eio::EioServer>(
        im.worker_ptrs, eo, cors, wl,
        [](eio::EioSession& s) { return std::make_unique<eio::EchoApp>(s); });
  }
  im.local_presence = api::make_local_presence(*im.sio, n);
  im.build_intra_service();
  im.build_inter_service();
  api::ApiContext ac;
  ac.keys = c.api.keys;
  ac.key_ring = im.keys;
  ac.sio = im.sio.get();
  ac.sse = im.sse.get();
  ac.bus = im.bus.get();
  ac.inbox = im.inbox.get();
  ac.node.id = api::default_node_id();
  auto* cluster_hb = im.inter->cluster_presence();
  auto* cluster_rq = im.inter->cluster_requests();
  if (cluster_hb && cluster_rq) {
    ac.presence = api::make_cluster_presence(api::make_local_presence(*im.sio, n), *cluster_hb,
                                             *cluster_rq, *im.sio);
    ac.server_emit = [cluster_rq](std::string nsp, boost::json::array data, uint32_t timeout_ms,
                                  std::function<void(api::ServerEmitResult)> done) {
      cluster_rq->server_side_emit(
          std::move(nsp), std::move(data), timeout_ms,
          [done = std::move(done)](inter_service::EmitResult r) {
            done(api::ServerEmitResult{std::move(r.responses), r.nodes, r.expected});
          });
    };
  } else {
    ac.presence = api::make_local_presence(*im.sio, n);
    ac.server_emit = [bus = im.bus.get(), id = ac.node.id](
                         std::string, boost::json::array data, uint32_t,
                         std::function<void(api::ServerEmitResult)> done) {
      const boost::json::value payload =
          data.size() < 2    ? boost::json::value(nullptr)
          : data.size() == 2 ? data[1]
                             : boost::json::value(boost::json::array(data.begin() + 1, data.end()));
      size_t routed = 0;
      const size_t delivered = bus->emit(data[0].as_string(), payload, &routed);
      api::ServerEmitResult r;
      r.responses.push_back(
          boost::json::object{{"node", id}, {"delivered", delivered}, {"routed", routed}});
      done(std::move(r));
    };
  }
  ac.node.version = kVersion;
  ac.node.workers = n;
  im.api = std::make_unique<api::ApiRouter>(std::move(ac));
  im.http_limits.max_header_bytes = c.server.max_header_bytes;
  // Room for a full Engine.IO payload plus HTTP API bodies of the same size; the
  // endpoints apply their own, exact limits.
  im.http_limits.max_body_bytes = c.engineio.max_payload + 1024;
}

GatewayModule::~GatewayModule() {
  stop();
  if (impl_->inbox) impl_->inbox->stop();  // also when never started
}

sio::SioServer& GatewayModule::client() {
  return *impl_->sio;
}
intra::EventBus& GatewayModule::events() {
  return *impl_->bus;
}
intra::SseServer& GatewayModule::sse() {
  return *impl_->sse;
}
hub::RouteTable& GatewayModule::routes() {
  return *impl_->routes;
}
inter_service::InterServiceGateway& GatewayModule::brokers() {
  return *impl_->inter;
}
sio::InboxService* GatewayModule::inbox() {
  return impl_->inbox.get();
}
const Config& GatewayModule::config() const {
  return impl_->config;
}
uint16_t GatewayModule::port() const {
  return impl_->bound_port;
}

void GatewayModule::Impl::route(const std::shared_ptr<net::HttpConnection>& conn,
                                net::HttpRequest&& req) {
  if (path_under(req.path, config.socketio.path)) return sio_endpoint->handle(conn, std::move(req));
  if (echo_endpoint && path_under(req.path, config.echo.path))
    return echo_endpoint->handle(conn, std::move(req));
  if (req.upgrade_websocket) {
    conn->write_and_close(eio::raw_upgrade_refusal("Not Found"));
    return;
  }
  if (path_under(req.path, "/sse/")) return sse->handle(conn, std::move(req));
  if (req.path == "/healthz") {
    net::HttpResponse r;
    r.header("Content-Type", "application/json");
    r.header("Cache-Control", "no-store");
    r.body = R"({"status":"ok"})";
    return conn->respond(std::move(r));
  }
  if (req.path == "/readyz") {
    // Ready = accepting and every worker's loop answers (a round trip
    // through all of them); 503 while shutting down.
    bool up;
    {
      std::lock_guard lk(mu);
      up = running;
    }
    if (!up) return conn->respond(net::api_error(503, "not_ready", "the server is stopping"));
    // Brokers too: a required broker that is not up makes the node unready
    // (its routes and requests would fail), with the reason in the body.
    return metrics->collect(
        [conn, n = workers.size()](std::shared_ptr<const intra::MetricsSnapshot> s) {
          bool ready = true;
          boost::json::object brokers;
          for (auto& v : s->brokers) {
            auto& b = v.as_object();
            const bool is_up = b.at("state").as_string() == "up";
            if (!is_up && b.at("required").as_bool()) ready = false;
            boost::json::object e{{"kind", b.at("kind")}, {"state", b.at("state")}};
            if (!is_up && !b.at("last_error").as_string().empty()) e["error"] = b.at("last_error");
            brokers[b.at("name").as_string()] = std::move(e);
          }
          boost::json::object body{{"status", ready ? "ready" : "not_ready"},
                                   {"workers", n},
                                   {"brokers", std::move(brokers)}};
          net::HttpResponse r;
          r.status = ready ? 200 : 503;
          r.header("Content-Type", "application/json");
          r.header("Cache-Control", "no-store");
          r.body = boost::json::serialize(body);
          conn->respond(std::move(r));
        });
  }
  if (req.path == "/metrics") {
    return metrics->collect([conn](std::shared_ptr<const intra::MetricsSnapshot> s) {
      net::HttpResponse r;
      r.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      r.header("Cache-Control", "no-store");
      r.body = intra::MetricsCollector::to_prometheus(*s);
      conn->respond(std::move(r));
    });
  }
  if (path_under(req.path, "/dashboard/")) {
    if (!config.dashboard.enabled)
      return conn->respond(net::api_error(404, "dashboard_disabled", "dashboard.enabled is false"));
    return conn->respond(intra::serve_dashboard(req, dashboard_authorized(req)));
  }
  if (req.path.rfind("/api/", 0) == 0)
    return api->handle(req, [conn](net::HttpResponse r) { conn->respond(std::move(r)); });
  conn->respond(net::api_error(404, "not_found", "no route for " + req.path));
}

void GatewayModule::Impl::accept(net::Worker& w, boost::asio::ip::tcp::socket s,
                                 net::PeerInfo peer) {
  // Not make_shared: the idle timer keeps a weak_ptr for minutes, and with
  // make_shared that would pin the whole object's memory after a WebSocket
  // upgrade has finished with it.
  std::shared_ptr<net::HttpConnection> conn(new net::HttpConnection(
      w, std::move(s), http_limits,
      [this](std::shared_ptr<net::HttpConnection> c, net::HttpRequest&& r) {
        route(c, std::move(r));
      },
      std::move(peer)));
  conn->start();
}

void GatewayModule::start() {
  auto& im = *impl_;
  const auto& c = im.config;
  uint16_t port = c.server.port;
  for (auto* w : im.worker_ptrs) {
    auto listener = std::make_shared<net::Listener>(
        *w, c.server.host, port,
        [this, w](boost::asio::ip::tcp::socket s) { impl_->accept(*w, std::move(s), {}); });
    if (port == 0) port = listener->port();  // every worker shares the first's port
    im.listeners.push_back(listener);
  }
  im.bound_port = port;
  // TLS: the handshake and a pump here, then the plain-text end of a socketpair
  // takes the path above, with the TLS client's address.
  if (im.tls && c.tls.port != 0) {
    for (auto* w : im.worker_ptrs) {
      im.tls_listeners.push_back(std::make_shared<net::Listener>(
          *w, c.server.host, c.tls.port, [this, w](boost::asio::ip::tcp::socket s) {
            net::start_tls_session(
                *w, std::move(s), impl_->tls->get(),
                [this, w](boost::asio::ip::tcp::socket plain, std::string ip) {
                  impl_->accept(*w, std::move(plain), net::PeerInfo{std::move(ip), true});
                });
          }));
    }
  }
  im.sse->start();
  if (c.dashboard.enabled) {
    intra::attach_log_stream(im.sse.get());
    auto* sse = im.sse.get();
    im.metrics->start(c.dashboard.metrics_interval_ms,
                      [sse](const std::string& json) { sse->publish("metrics", "metrics", json); });
  }
  for (auto& l : im.listeners) l->start();
  for (auto& l : im.tls_listeners) l->start();
  for (auto& w : im.workers) w->start();
  im.inter->start();
  {
    std::lock_guard lk(im.mu);
    im.running = true;
  }
  spdlog::info("switchboard listening on {}:{} with {} worker(s)", c.server.host, port,
               im.workers.size());
  if (!im.tls_listeners.empty())
    spdlog::info("tls: listening on {}:{} (certificate {})", c.server.host, c.tls.port, c.tls.cert);
  else if (im.tls)
    spdlog::warn("tls: enabled but tls.port is 0: no TLS listener");
  if (c.dashboard.enabled && c.dashboard.auth == "api_key" && c.api.keys.empty())
    spdlog::warn(
        "dashboard: locked: dashboard.auth is \"api_key\" but api.keys is empty "
        "(add a key, or set dashboard.auth = \"none\" on a development server)");
  else if (c.dashboard.enabled)
    spdlog::info("dashboard: http://{}:{}/dashboard{}",
                 c.server.host == "0.0.0.0" ? "localhost" : c.server.host, port,
                 c.dashboard.auth == "none" ? "" : "?key=<API key>");
}

void GatewayModule::stop() {
  auto& im = *impl_;
  {
    std::lock_guard lk(im.mu);
    if (!im.running) return;
    im.running = false;  // /readyz answers 503 from now on
  }
  // Runs `fn(worker)` on every worker's own thread and waits for all of them.
  auto on_each = [&im](const char* what, auto fn) {
    std::vector<std::future<void>> done;
    for (auto* w : im.worker_ptrs) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      w->post([w, p, fn] {
        fn(*w);
        p->set_value();
      });
    }
    for (size_t i = 0; i < done.size(); ++i)
      if (done[i].wait_for(std::chrono::seconds(2)) != std::future_status::ready)
        spdlog::warn("shutdown: worker {} did not {} in time", i, what);
  };
  // 1. Stop accepting: new clients go to another node (or retry until we are back).
  on_each("stop accepting", [&im](net::Worker& w) {
    im.listeners[w.index()]->stop();
    if (!im.tls_listeners.empty()) im.tls_listeners[w.index()]->stop();
  });
  // 2. Finish what was accepted: queued inbox writes are committed and answered
  //    (the workers still run, so answers and pushes go out).
  if (im.inbox) im.inbox->stop();
  // 3. Tell clients to reconnect: an Engine.IO close (not a Socket.IO
  //    disconnect), which socket.io-client answers by reconnecting.
  intra::attach_log_stream(nullptr);
  on_each("close sessions", [&im](net::Worker& w) {
    im.sio_endpoint->close_all(w.index(), "server shutting down");
    if (im.echo_endpoint) im.echo_endpoint->close_all(w.index(), "server shutting down");
    im.sse->close_all(w.index(), "server shutting down");
  });
  // 4. Brokers before the loops they run on: queued publishes are flushed,
  //    pending callbacks complete with `stopped`.
  im.inter->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let close frames go out
  for (auto& w : im.workers) w->stop();
  for (auto& w : im.workers) w->join();
  im.cv.notify_all();
}

void GatewayModule::reload(const Config& fresh) {
  auto& im = *impl_;
  // Everything is built before anything is swapped: a bad file changes nothing.
  auto verifier = make_verifier(fresh.auth);
  // The certificate files are read again (a renewed certificate): new
  // connections use the new context, open ones keep theirs.
  net::TlsContextPtr tls_ctx;
  if (im.tls && fresh.tls.enabled) tls_ctx = make_tls(fresh.tls);
  if (fresh.tls.enabled != im.config.tls.enabled || fresh.tls.port != im.config.tls.port)
    spdlog::warn("reload: tls.enabled and tls.port take effect on restart only");
  try {
    im.routes->replace(route_specs(fresh));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  im.keys->set(std::move(verifier), fresh.api.keys);
  if (tls_ctx) {
    im.tls->set(std::move(tls_ctx));
    spdlog::info("reloaded: TLS certificate {}", fresh.tls.cert);
  }
  spdlog::info("reloaded: JWT key ({}), {} API key(s), {} route(s)",
               fresh.auth.jwt_secret.empty() && fresh.auth.jwt_key_file.empty()
                   ? "none"
                   : fresh.auth.jwt_algorithm,
               fresh.api.keys.size(), fresh.routes.size());
}

void GatewayModule::wait() {
  std::unique_lock lk(impl_->mu);
  impl_->cv.wait(lk, [&] { return !impl_->running; });
}

}  // namespace sb
