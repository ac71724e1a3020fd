#include "gateways/intra_service/metrics_collector.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "gateways/intra_service/event_bus.hpp"
#include "hub/route_table.hpp"
#include "net/overload_counters.hpp"
#include "net/timing_wheel.hpp"
#include "net/tls_counters.hpp"
#include "net/worker.hpp"

namespace sb::intra {

namespace json = boost::json;

static uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

static uint64_t steady_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

MetricsCollector::MetricsCollector(std::vector<net::Worker*> workers, const SseServer* sse,
                                   const EventBus* bus, const hub::RouteTable* routes,
                                   size_t namespaces)
    : workers_(std::move(workers)),
      sse_(sse),
      bus_(bus),
      routes_(routes),
      namespaces_(namespaces),
      started_ms_(wall_ms()) {}

void MetricsCollector::collect(Done done) {
  auto snap = std::make_shared<MetricsSnapshot>();
  snap->workers.resize(workers_.size());
  auto remaining = std::make_shared<std::atomic<size_t>>(workers_.size());
  const uint64_t posted_us = steady_us();
  for (auto* w : workers_) {
    w->post([this, w, snap, remaining, posted_us, done] {
      auto& ws = snap->workers[w->index()];
      ws.index = w->index();
      ws.loop_lag_ms = static_cast<double>(steady_us() - posted_us) / 1000.0;
      ws.outbound_bytes = w->outbound_bytes();
      for (auto& p : probes_) p(w->index(), ws);
      if (sse_) {
        auto st = sse_->worker_stats(w->index());
        ws.sse = st.connections;
        ws.sse_delivered = st.delivered;
      }
      // The last worker to report sees every other one's writes (acq_rel).
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      auto& s = *snap;
      s.time_ms = wall_ms();
      s.uptime_s = (s.time_ms - started_ms_) / 1000;
      s.namespaces = namespaces_;
      if (sse_) {
        s.streams = sse_->streams();
        auto& c = sse_->counters();
        s.sse_published = c.published.load(std::memory_order_relaxed);
        s.sse_opened = c.connections_opened.load(std::memory_order_relaxed);
        s.sse_refused = c.refused.load(std::memory_order_relaxed);
        s.sse_slow = c.slow_consumers.load(std::memory_order_relaxed);
        s.sse_resets = c.resets.load(std::memory_order_relaxed);
      }
      if (bus_) {
        auto& c = bus_->counters();
        s.bus_emitted = c.emitted.load(std::memory_order_relaxed);
        s.bus_delivered = c.delivered.load(std::memory_order_relaxed);
        s.bus_errors = c.handler_errors.load(std::memory_order_relaxed);
        s.bus_unhandled = c.unhandled.load(std::memory_order_relaxed);
      }
      if (routes_) {
        auto& c = routes_->counters();
        s.routes_matched = c.matched.load(std::memory_order_relaxed);
        s.routes_delivered = c.delivered.load(std::memory_order_relaxed);
        s.routes_failed = c.failed.load(std::memory_order_relaxed);
      }
      if (broker_probe_) s.brokers = broker_probe_();
      auto& oc = net::overload_counters();
      for (auto& r : oc.rejected) s.limit_rejected.push_back(r.load(std::memory_order_relaxed));
      s.accept_pauses = oc.accept_pauses.load(std::memory_order_relaxed);
      s.accept_shed = oc.accept_shed.load(std::memory_order_relaxed);
      s.slow_consumers = oc.slow_consumers.load(std::memory_order_relaxed);
      s.volatile_dropped = oc.volatile_dropped.load(std::memory_order_relaxed);
      auto& tc = net::tls_counters();
      s.tls_handshakes_ok = tc.handshakes_ok.load(std::memory_order_relaxed);
      s.tls_handshakes_failed = tc.handshakes_failed.load(std::memory_order_relaxed);
      done(snap);
    });
  }
}

void MetricsCollector::start(uint32_t interval_ms,
                             std::function<void(const std::string&)> publish) {
  if (workers_.empty() || !interval_ms) return;
  interval_ms_ = interval_ms;
  publish_ = std::move(publish);
  workers_[0]->post([this] { workers_[0]->wheel().schedule_in(interval_ms_, [this] { tick(); }); });
}

void MetricsCollector::tick() {
  collect([this](std::shared_ptr<const MetricsSnapshot> s) {
    std::shared_ptr<const MetricsSnapshot> prev;
    {
      std::lock_guard lk(prev_mu_);
      prev = std::exchange(prev_, s);
    }
    publish_(to_json(*s, prev.get()));
  });
  workers_[0]->wheel().schedule_in(interval_ms_, [this] { tick(); });
}

namespace {

struct Totals {
  uint64_t in = 0, out = 0, sse = 0;
};
Totals totals(const MetricsSnapshot& s) {
  Totals t;
  for (auto& w : s.workers) {
    t.in += w.events_in;
    t.out += w.events_out;
    t.sse += w.sse_delivered;
  }
  return t;
}

double rate(uint64_t now, uint64_t before, double secs) {
  return secs > 0 && now >= before ? static_cast<double>(now - before) / secs : 0.0;
}

}  // namespace

std::string MetricsCollector::to_json(const MetricsSnapshot& s, const MetricsSnapshot* prev) {
  json::object o;
  o["time"] = s.time_ms;
  o["uptime_s"] = s.uptime_s;
  size_t polling = 0, websocket = 0, sse = 0;
  std::map<std::string, size_t> sockets;
  std::map<std::pair<std::string, std::string>, size_t> rooms;
  for (auto& w : s.workers) {
    polling += w.polling;
    websocket += w.websocket;
    sse += w.sse;
    for (auto& [n, c] : w.sockets) sockets[n] += c;
    for (auto& [k, c] : w.rooms) rooms[k] += c;
  }
  o["connections"] = json::object{{"websocket", websocket},
                                  {"polling", polling},
                                  {"sse", sse},
                                  {"total", websocket + polling + sse}};
  json::array nsps;
  size_t total_sockets = 0;
  for (auto& [n, c] : sockets) {
    nsps.push_back(json::object{{"name", n}, {"sockets", c}});
    total_sockets += c;
  }
  o["sockets"] = total_sockets;
  o["namespaces"] = std::move(nsps);
  // The biggest rooms (a deployment can have one room per user).
  std::vector<std::pair<std::pair<std::string, std::string>, size_t>> rv(rooms.begin(),
                                                                         rooms.end());
  std::stable_sort(rv.begin(), rv.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json::array top;
  for (size_t i = 0; i < rv.size() && i < 50; ++i)
    top.push_back(json::object{
        {"namespace", rv[i].first.first}, {"room", rv[i].first.second}, {"members", rv[i].second}});
  o["rooms"] = json::object{{"count", rooms.size()}, {"top", std::move(top)}};

  const Totals t = totals(s);
  const double secs = prev && s.time_ms > prev->time_ms
                          ? static_cast<double>(s.time_ms - prev->time_ms) / 1000.0
                          : 0.0;
  Totals pt = prev ? totals(*prev) : t;
  const double r_in = rate(t.in, pt.in, secs), r_out = rate(t.out, pt.out, secs);
  const double r_sse = rate(t.sse, pt.sse, secs);
  const double r_bus = prev ? rate(s.bus_emitted, prev->bus_emitted, secs) : 0;
  const double r_pub = prev ? rate(s.sse_published, prev->sse_published, secs) : 0;
  o["rates"] = json::object{{"events_in", r_in + r_bus}, {"events_out", r_out + r_sse},
                            {"socketio_in", r_in},       {"socketio_out", r_out},
                            {"sse_delivered", r_sse},    {"sse_published", r_pub},
                            {"bus_events", r_bus}};
  json::array workers;
  for (size_t i = 0; i < s.workers.size(); ++i) {
    auto& w = s.workers[i];
    const WorkerSnapshot* pw = prev && i < prev->workers.size() ? &prev->workers[i] : nullptr;
    const uint64_t ev = w.events_in + w.events_out + w.sse_delivered;
    const uint64_t pev = pw ? pw->events_in + pw->events_out + pw->sse_delivered : ev;
    workers.push_back(json::object{{"index", w.index},
                                   {"connections", w.polling + w.websocket + w.sse},
                                   {"websocket", w.websocket},
                                   {"polling", w.polling},
                                   {"sse", w.sse},
                                   {"events_per_s", rate(ev, pev, secs)},
                                   {"loop_lag_ms", w.loop_lag_ms}});
  }
  o["workers"] = std::move(workers);
  json::array streams;
  for (auto& st : s.streams)
    streams.push_back(json::object{{"name", st.name},
                                   {"access", st.access},
                                   {"subscribers", st.subscribers},
                                   {"last_seq", st.last_seq},
                                   {"history", st.history}});
  o["sse"] = json::object{{"streams", std::move(streams)},      {"published", s.sse_published},
                          {"connections_opened", s.sse_opened}, {"refused", s.sse_refused},
                          {"slow_consumers", s.sse_slow},       {"resets", s.sse_resets}};
  o["bus"] = json::object{{"emitted", s.bus_emitted},
                          {"delivered", s.bus_delivered},
                          {"handler_errors", s.bus_errors},
                          {"unhandled", s.bus_unhandled}};
  o["routes"] = json::object{{"matched", s.routes_matched},
                             {"delivered", s.routes_delivered},
                             {"failed", s.routes_failed}};
  o["totals"] =
      json::object{{"socketio_in", t.in}, {"socketio_out", t.out}, {"sse_delivered", t.sse}};
  o["brokers"] = s.brokers;
  json::object rejected;
  for (size_t i = 0; i < s.limit_rejected.size(); ++i)
    rejected[net::limit_name(static_cast<net::Limit>(i))] = s.limit_rejected[i];
  uint64_t outbound = 0;
  for (auto& w : s.workers) outbound += w.outbound_bytes;
  o["overload"] =
      json::object{{"limit_rejected", std::move(rejected)},  {"accept_pauses", s.accept_pauses},
                   {"accept_shed", s.accept_shed},           {"slow_consumers", s.slow_consumers},
                   {"volatile_dropped", s.volatile_dropped}, {"outbound_bytes", outbound}};
  return json::serialize(o);
}

namespace {

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void metric(std::string& o, const char* name, const char* type, const char* help) {
  o += "# HELP ";
  o += name;
  o += ' ';
  o += help;
  o += "\n# TYPE ";
  o += name;
  o += ' ';
  o += type;
  o += '\n';
}

template <class T>
void sample(std::string& o, const char* name, std::string_view labels, T v);

// A metric with one unlabelled sample.
template <class T>
void single(std::string& o, const char* name, const char* type, const char* help, T v) {
  metric(o, name, type, help);
  sample(o, name, "", v);
}

template <class T>
void sample(std::string& o, const char* name, std::string_view labels, T v) {
  o += name;
  if (!labels.empty()) {
    o += '{';
    o += labels;
    o += '}';
  }
  o += ' ';
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    o += buf;
  } else {
    o += std::to_string(v);
  }
  o += '\n';
}

}  // namespace

std::string MetricsCollector::to_prometheus(const MetricsSnapshot& s) {
  std::string o;
  o.reserve(4096);
  size_t polling = 0, websocket = 0, sse = 0;
  std::map<std::string, size_t> sockets;
  std::map<std::pair<std::string, std::string>, size_t> rooms;
  for (auto& w : s.workers) {
    polling += w.polling;
    websocket += w.websocket;
    sse += w.sse;
    for (auto& [n, c] : w.sockets) sockets[n] += c;
    for (auto& [k, c] : w.rooms) rooms[k] += c;
  }
  const Totals t = totals(s);
  metric(o, "switchboard_connections", "gauge", "Open client connections by transport.");
  sample(o, "switchboard_connections", "transport=\"websocket\"", websocket);
  sample(o, "switchboard_connections", "transport=\"polling\"", polling);
  sample(o, "switchboard_connections", "transport=\"sse\"", sse);
  metric(o, "switchboard_socketio_sockets", "gauge", "Connected Socket.IO sockets by namespace.");
  for (auto& [n, c] : sockets)
    sample(o, "switchboard_socketio_sockets", "namespace=\"" + label(n) + "\"", c);
  single(o, "switchboard_namespaces", "gauge", "Declared Socket.IO namespaces.", s.namespaces);
  single(o, "switchboard_rooms", "gauge", "Socket.IO rooms with at least one member.",
         rooms.size());
  single(o, "switchboard_socketio_events_received_total", "counter",
         "Socket.IO events received from clients.", t.in);
  single(o, "switchboard_socketio_packets_sent_total", "counter",
         "Socket.IO packets sent to clients.", t.out);
  single(o, "switchboard_sse_events_published_total", "counter", "Events published to SSE streams.",
         s.sse_published);
  single(o, "switchboard_sse_events_delivered_total", "counter",
         "SSE events written to connections.", t.sse);
  single(o, "switchboard_sse_connections_opened_total", "counter", "SSE connections accepted.",
         s.sse_opened);
  single(o, "switchboard_sse_requests_refused_total", "counter",
         "SSE requests answered with an HTTP error.", s.sse_refused);
  single(o, "switchboard_sse_slow_consumers_total", "counter",
         "SSE connections closed for not reading.", s.sse_slow);
  single(o, "switchboard_sse_resets_total", "counter",
         "Reset events sent (a resume position beyond the history).", s.sse_resets);
  metric(o, "switchboard_sse_stream_subscribers", "gauge", "Subscribers per SSE stream.");
  for (auto& st : s.streams)
    sample(o, "switchboard_sse_stream_subscribers", "stream=\"" + label(st.name) + "\"",
           st.subscribers);
  single(o, "switchboard_bus_events_total", "counter", "Events emitted on the in-process bus.",
         s.bus_emitted);
  single(o, "switchboard_bus_handler_runs_total", "counter", "Bus handler runs that returned.",
         s.bus_delivered);
  single(o, "switchboard_bus_handler_errors_total", "counter", "Bus handler runs that threw.",
         s.bus_errors);
  single(o, "switchboard_bus_unhandled_total", "counter", "Bus events no subscription matched.",
         s.bus_unhandled);
  single(o, "switchboard_route_matches_total", "counter", "Events that matched a config route.",
         s.routes_matched);
  single(o, "switchboard_route_deliveries_total", "counter", "Route target deliveries made.",
         s.routes_delivered);
  single(o, "switchboard_route_failures_total", "counter",
         "Route target deliveries that could not be made.", s.routes_failed);
  metric(o, "switchboard_worker_connections", "gauge", "Open connections per worker.");
  for (auto& w : s.workers)
    sample(o, "switchboard_worker_connections", "worker=\"" + std::to_string(w.index) + "\"",
           w.polling + w.websocket + w.sse);
  metric(o, "switchboard_worker_loop_lag_seconds", "gauge",
         "Delay before a worker ran the metrics probe.");
  for (auto& w : s.workers)
    sample(o, "switchboard_worker_loop_lag_seconds", "worker=\"" + std::to_string(w.index) + "\"",
           w.loop_lag_ms / 1000.0);
  // Brokers: the probe's objects {name, kind, state, <counters>}.
  auto str = [](const boost::json::object& b, const char* k) -> std::string {
    auto* v = b.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto num = [](const boost::json::object& b, const char* k) -> uint64_t {
    auto* v = b.if_contains(k);
    return v && v->is_uint64() ? v->get_uint64() : v && v->is_int64() ? v->get_int64() : 0;
  };
  if (!s.brokers.empty()) {
    metric(o, "switchboard_broker_up", "gauge", "1 while the broker is connected and ready.");
    for (auto& v : s.brokers)
      if (auto* b = v.if_object())
        sample(o, "switchboard_broker_up",
               "broker=\"" + label(str(*b, "name")) + "\",kind=\"" + label(str(*b, "kind")) + "\"",
               str(*b, "state") == "up" ? 1 : 0);
    static constexpr std::pair<const char*, const char*> kCounters[] = {
        {"published", "Messages the broker accepted (publishes and replies)."},
        {"refused", "Publishes, replies and requests refused with an error."},
        {"received", "Messages taken from the broker."},
        {"bad", "Incoming messages refused as bad input."},
        {"failed", "Incoming messages whose handler failed."},
        {"timeouts", "Requests that got no reply in time."},
        {"reconnects", "Reconnections after the broker was up."}};
    for (auto& [key, help] : kCounters) {
      const std::string name = std::string("switchboard_broker_") + key + "_total";
      metric(o, name.c_str(), "counter", help);
      for (auto& v : s.brokers)
        if (auto* b = v.if_object())
          sample(o, name.c_str(), "broker=\"" + label(str(*b, "name")) + "\"", num(*b, key));
    }
  }
  metric(o, "switchboard_limit_rejected_total", "counter",
         "Requests, events and joins refused by a configured limit ([limits]).");
  for (size_t i = 0; i < s.limit_rejected.size(); ++i)
    sample(o, "switchboard_limit_rejected_total",
           std::string("limit=\"") + net::limit_name(static_cast<net::Limit>(i)) + "\"",
           s.limit_rejected[i]);
  single(o, "switchboard_accept_paused_total", "counter",
         "Times accepting paused for lack of file descriptors.", s.accept_pauses);
  single(o, "switchboard_accept_shed_total", "counter",
         "Connections closed unserved while out of file descriptors.", s.accept_shed);
  single(o, "switchboard_slow_consumers_total", "counter",
         "Socket.IO connections cut because their outbound queue passed its bound.",
         s.slow_consumers);
  single(o, "switchboard_volatile_dropped_total", "counter",
         "Volatile packets dropped because the connection had output queued.", s.volatile_dropped);
  metric(o, "switchboard_tls_handshakes_total", "counter",
         "TLS handshakes on the [tls] port, by outcome (failed: bad or plain-text clients, "
         "timeouts).");
  sample(o, "switchboard_tls_handshakes_total", "result=\"ok\"", s.tls_handshakes_ok);
  sample(o, "switchboard_tls_handshakes_total", "result=\"failed\"", s.tls_handshakes_failed);
  metric(o, "switchboard_outbound_queued_bytes", "gauge",
         "Bytes queued and unsent on WebSocket connections, per worker.");
  for (auto& w : s.workers)
    sample(o, "switchboard_outbound_queued_bytes", "worker=\"" + std::to_string(w.index) + "\"",
           w.outbound_bytes);
  single(o, "switchboard_uptime_seconds", "gauge", "Seconds since the server started.", s.uptime_s);
  return o;
}

}  // namespace sb::intra
