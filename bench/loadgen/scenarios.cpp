#include "scenarios.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "http_conn.hpp"
#include "jwt.hpp"
#include "sio_conn.hpp"

namespace sbl {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// ------------------------------------------------------------------ helpers

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}
double secs_since(int64_t t0) {
  return static_cast<double>(now_ns() - t0) / 1e9;
}

// Timestamp of an event packet `2["ev",<ts>...]`: the integer after the first ','.
bool event_ts(std::string_view m, int64_t& ts) {
  auto c = m.find(',');
  if (c == std::string_view::npos) return false;
  auto r = std::from_chars(m.data() + c + 1, m.data() + m.size(), ts);
  return r.ec == std::errc();
}
// Timestamp of an ack `3<id>[<ts>...]`: the integer after the first '['.
bool ack_ts(std::string_view m, int64_t& ts) {
  auto b = m.find('[');
  if (b == std::string_view::npos) return false;
  auto r = std::from_chars(m.data() + b + 1, m.data() + m.size(), ts);
  return r.ec == std::errc();
}
// First integer anywhere in an SSE data field (`123`, `{"t":123}`, `["tick",123]`).
bool first_int(std::string_view d, int64_t& ts) {
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] >= '0' && d[i] <= '9') {
      auto r = std::from_chars(d.data() + i, d.data() + d.size(), ts);
      return r.ec == std::errc();
    }
  }
  return false;
}

void append_int(std::string& s, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

std::string padding_arg(unsigned n) {
  if (n == 0) return "";
  return ",\"" + std::string(n, 'x') + "\"";
}

struct Snapshot {
  Histogram latency;
  uint64_t received = 0, sent = 0, errors = 0;
};

Snapshot collect(Runtime& rt, bool reset) {
  Snapshot s;
  std::mutex mu;
  rt.on_each([&](Worker& w) {
    std::lock_guard lk(mu);
    s.latency.merge(w.stats.latency);
    s.received += w.stats.received;
    s.sent += w.stats.sent;
    s.errors += w.stats.errors;
    if (reset) {
      w.stats.latency.reset();
      w.stats.received = w.stats.sent = w.stats.errors = 0;
    }
  });
  return s;
}

uint64_t delivered_total(Runtime& rt) {
  uint64_t n = 0;
  for (unsigned i = 0; i < rt.threads(); ++i)
    n += rt.worker(i).delivered.load(std::memory_order_relaxed);
  return n;
}

// Server CPU and own CPU over a measured window.
struct CpuWindow {
  int pid;
  int64_t t0 = now_ns();
  double server0, self0;
  explicit CpuWindow(int p) : pid(p), server0(cpu_seconds(p)), self0(self_cpu_seconds()) {}
  void put(json::object& o) const {
    const double wall = secs_since(t0);
    if (server0 >= 0 && pid > 0)
      o["server_cpu_pct"] = std::round((cpu_seconds(pid) - server0) / wall * 1000) / 10;
    o["loadgen_cpu_pct"] = std::round((self_cpu_seconds() - self0) / wall * 1000) / 10;
  }
};

double r1(double v) {
  return std::round(v * 10) / 10;
}
double r3(double v) {
  return std::round(v * 1000) / 1000;
}

void put_latency(json::object& o, const Histogram& h) {
  o["samples"] = h.count();
  o["p50_ms"] = r3(h.quantile_us(0.50) / 1000);
  o["p90_ms"] = r3(h.quantile_us(0.90) / 1000);
  o["p99_ms"] = r3(h.quantile_us(0.99) / 1000);
  o["p999_ms"] = r3(h.quantile_us(0.999) / 1000);
  o["max_ms"] = r3(static_cast<double>(h.max_ns()) / 1e6);
  o["mean_ms"] = r3(h.mean_us() / 1000);
}

std::string latency_text(const Histogram& h) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
                h.quantile_us(0.5) / 1000, h.quantile_us(0.99) / 1000, h.quantile_us(0.999) / 1000,
                static_cast<double>(h.max_ns()) / 1e6);
  return buf;
}

json::object base(const Common& c, const char* scenario) {
  json::object o;
  o["scenario"] = scenario;
  o["label"] = c.label;
  o["case"] = c.case_name.empty() ? std::string(scenario) : c.case_name;
  o["threads"] = c.threads;
  o["server_pid"] = c.server_pid;
  o["fd_limit"] = raise_fd_limit();
  o["sources"] = c.target.sources;
  return o;
}

void finish(Runtime& rt, json::object& o, const std::string& human) {
  o["errors"] = rt.error_summary();
  std::cerr << human << std::endl;
  if (!rt.error_summary().empty()) std::cerr << "  errors: " << rt.error_summary() << std::endl;
  std::cout << json::serialize(o) << std::endl;
}

std::string si(double v) {
  char buf[32];
  if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// ------------------------------------------------------------ connect phase

using Fleet = std::vector<std::vector<std::shared_ptr<SioConn>>>;  // per thread

struct ConnectSpec {
  std::function<std::string(uint64_t)> data;  // CONNECT payload for client i
  std::function<void(SioConn&)> setup;        // before start (handlers)
  std::function<void(SioConn&)> ready;        // after CONNECT, on its thread
};

struct Launch : std::enable_shared_from_this<Launch> {
  Runtime& rt;
  Worker& w;
  std::vector<uint64_t> ids;
  size_t next = 0;
  const ConnectSpec& spec;
  std::vector<std::shared_ptr<SioConn>>& out;
  Launch(Runtime& r, Worker& wk, const ConnectSpec& s, std::vector<std::shared_ptr<SioConn>>& o)
      : rt(r), w(wk), spec(s), out(o) {}
  void one() {
    if (next >= ids.size()) return;
    const uint64_t i = ids[next++];
    auto conn = std::make_shared<SioConn>(rt, w);
    conn->tag = i;
    if (spec.setup) spec.setup(*conn);
    out.push_back(conn);
    conn->start(rt.next_source(), spec.data ? spec.data(i) : std::string(),
                [self = shared_from_this()](SioConn& s, const std::string& err) {
                  if (err.empty() && self->spec.ready) self->spec.ready(s);
                  asio::post(self->w.ctx, [self] { self->one(); });
                });
  }
};

struct ConnectResult {
  uint64_t ok = 0, failed = 0, timed_out = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

ConnectResult connect_many(Runtime& rt, const Common& c, uint64_t n, Fleet& fleet,
                           const ConnectSpec& spec) {
  fleet.resize(rt.threads());
  const uint64_t ok0 = rt.connected.load(), fail0 = rt.failed.load();
  const int64_t t0 = now_ns();
  std::vector<std::shared_ptr<Launch>> launches;
  for (unsigned t = 0; t < rt.threads(); ++t) {
    auto l = std::make_shared<Launch>(rt, rt.worker(t), spec, fleet[t]);
    for (uint64_t i = t; i < n; i += rt.threads()) l->ids.push_back(i);
    launches.push_back(l);
  }
  const unsigned per = std::max(1u, c.concurrency / rt.threads());
  for (auto& l : launches) {
    asio::post(l->w.ctx, [l, per] {
      for (unsigned k = 0; k < per; ++k) l->one();
    });
  }
  ConnectResult r;
  uint64_t last_report = 0;
  int64_t last_t = t0;
  for (;;) {
    r.ok = rt.connected.load() - ok0;
    r.failed = rt.failed.load() - fail0;
    if (r.ok + r.failed >= n) break;
    if (secs_since(t0) > c.connect_timeout) {
      r.timed_out = n - r.ok - r.failed;
      break;
    }
    if (n >= 5000 && now_ns() - last_t > 2'000'000'000) {
      std::cerr << "  connecting: " << r.ok << " ok, " << r.failed << " failed ("
                << si(static_cast<double>(r.ok - last_report) / secs_since(last_t)) << "/s)"
                << std::endl;
      last_report = r.ok;
      last_t = now_ns();
    }
    std::this_thread::sleep_for(5ms);
  }
  r.seconds = secs_since(t0);
  // Stop launching what is left after a timeout.
  for (auto& l : launches) asio::post(l->w.ctx, [l] { l->next = l->ids.size(); });
  return r;
}

void put_connect(json::object& o, const ConnectResult& r) {
  o["connected"] = r.ok;
  o["connect_failed"] = r.failed;
  o["connect_timed_out"] = r.timed_out;
  o["connect_seconds"] = r3(r.seconds);
  o["connect_rate"] = std::round(r.rate());
}

void close_all(Runtime& rt, Fleet& fleet) {
  rt.on_each([&](Worker& w) {
    for (auto& c : fleet[w.index]) c->close();
    fleet[w.index].clear();
  });
}

std::shared_ptr<SioConn> connect_one(Runtime& rt, Worker& w, std::string data, double timeout,
                                     std::string& error) {
  auto conn = std::make_shared<SioConn>(rt, w);
  std::atomic<int> state{0};  // 1 ok, 2 failed
  auto err = std::make_shared<std::string>();
  asio::post(w.ctx, [&, conn, err] {
    conn->start(rt.next_source(), data, [&state, err](SioConn&, const std::string& e) {
      *err = e;
      state = e.empty() ? 1 : 2;
    });
  });
  const int64_t t0 = now_ns();
  while (state == 0 && secs_since(t0) < timeout) std::this_thread::sleep_for(1ms);
  if (state != 1) {
    error = state == 0 ? "timeout" : *err;
    asio::post(w.ctx, [conn] { conn->close(); });
    std::this_thread::sleep_for(10ms);
    return nullptr;
  }
  return conn;
}

}  // namespace

// ===================================================================== idle

int run_idle(const Common& c, const IdleOpts& o) {
  Runtime rt(c.threads, c.target);
  rt.start();
  json::object out = base(c, "idle");
  const uint64_t rss0 = rss_kib(c.server_pid);
  Fleet fleet;
  ConnectSpec spec;
  auto r = connect_many(rt, c, o.conns, fleet, spec);
  put_connect(out, r);
  out["requested"] = o.conns;
  sleep_s(o.settle);
  const uint64_t rss1 = rss_kib(c.server_pid);
  const uint64_t closed0 = rt.closed.load();
  CpuWindow cpu(c.server_pid);
  sleep_s(o.hold);
  const uint64_t dropped = rt.closed.load() - closed0;
  const uint64_t held = r.ok - rt.closed.load();
  cpu.put(out);
  out["hold_seconds"] = o.hold;
  out["held"] = held;
  out["dropped_while_held"] = dropped;
  out["server_rss_before_kib"] = rss0;
  out["server_rss_after_kib"] = rss1;
  const double per = r.ok ? (static_cast<double>(rss1) - static_cast<double>(rss0)) / r.ok : 0;
  out["rss_per_conn_kib"] = r3(per);
  char human[400];
  std::snprintf(human, sizeof human,
                "idle %s: %llu/%u connected (%llu failed, %llu timed out) in %.2f s = %s conn/s; "
                "held %llu after %.0f s; server RSS %.1f -> %.1f MiB = %.2f KiB/conn",
                c.label.c_str(), (unsigned long long)r.ok, o.conns, (unsigned long long)r.failed,
                (unsigned long long)r.timed_out, r.seconds, si(r.rate()).c_str(),
                (unsigned long long)held, o.hold, rss0 / 1024.0, rss1 / 1024.0, per);
  finish(rt, out, human);
  close_all(rt, fleet);
  rt.stop();
  return r.ok == o.conns ? 0 : 2;
}

// =================================================================== fanout

namespace {

struct RatePublisher : std::enable_shared_from_this<RatePublisher> {
  std::function<uint64_t()> delivered;  // deliveries so far, every member of every node
  std::shared_ptr<SioConn> conn;
  asio::steady_timer timer;
  double rate;
  uint64_t window, members;
  std::string prefix, suffix, buf;
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> stop{false};
  int64_t t0 = 0;
  RatePublisher(std::function<uint64_t()> d, std::shared_ptr<SioConn> c, double rt_, uint64_t w,
                uint64_t m)
      : delivered(std::move(d)),
        conn(std::move(c)),
        timer(conn->worker().ctx),
        rate(rt_),
        window(w),
        members(m) {}

  void begin() {
    t0 = now_ns();
    tick();
  }
  void send_one() {
    buf = prefix;
    append_int(buf, now_ns());
    buf += suffix;
    conn->emit_packet(buf);
    sent.fetch_add(1, std::memory_order_relaxed);
  }
  void tick() {
    if (stop.load(std::memory_order_relaxed) || !conn->ready()) return;
    if (rate > 0) {
      const auto due = static_cast<uint64_t>(static_cast<double>(now_ns() - t0) * rate / 1e9);
      for (int k = 0; sent.load(std::memory_order_relaxed) < due && k < 10000; ++k) send_one();
      timer.expires_after(1ms);
    } else {
      const uint64_t done = delivered() / members;
      for (int k = 0; sent.load(std::memory_order_relaxed) < done + window && k < 1000; ++k)
        send_one();
      timer.expires_after(100us);
    }
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->tick();
    });
  }
};

}  // namespace

namespace {

// One room spread over the nodes in `targets` (members dealt round-robin, one
// load generator runtime per node); the publisher talks to the first node.
// With one target this is the fanout scenario; with two, the cluster one
// (the nodes share the room through their broker).
int fanout_over(const Common& c, const FanoutOpts& o, const std::vector<Target>& targets,
                const std::vector<int>& pids, const char* scenario) {
  std::vector<std::unique_ptr<Runtime>> rts;
  for (const auto& t : targets) {
    rts.push_back(std::make_unique<Runtime>(c.threads, t));
    rts.back()->start();
  }
  Runtime& rt = *rts[0];
  auto stop_all = [&] {
    for (auto& r : rts) r->stop();
  };
  auto delivered = [&rts] {
    uint64_t n = 0;
    for (auto& r : rts) n += delivered_total(*r);
    return n;
  };
  json::object out = base(c, scenario);
  out["members"] = o.members;
  out["target_rate"] = o.rate;
  out["window"] = o.window;
  out["payload_bytes"] = c.payload;
  out["nodes"] = targets.size();
  std::atomic<uint64_t> joined{0};
  const std::string join_pkt = "21[\"join\",\"" + c.room + "\"]";
  std::vector<Fleet> fleets(rts.size());
  ConnectSpec spec;
  spec.setup = [&](SioConn& s) {
    s.on_message = [&joined](SioConn& s, std::string_view m, int64_t now) {
      if (m[0] == '2') {
        int64_t ts;
        if (!event_ts(m, ts)) return;
        auto& w = s.worker();
        w.stats.latency.record_ns(now - ts);
        ++w.stats.received;
        w.delivered.fetch_add(1, std::memory_order_relaxed);
      } else if (m[0] == '3') {
        joined.fetch_add(1, std::memory_order_relaxed);
      }
    };
  };
  spec.ready = [&](SioConn& s) { s.emit_packet(join_pkt); };
  ConnectResult r;
  for (size_t i = 0; i < rts.size(); ++i) {
    const uint64_t n = o.members / rts.size() + (i < o.members % rts.size() ? 1 : 0);
    auto ri = connect_many(*rts[i], c, n, fleets[i], spec);
    if (i == 0) {
      r = ri;
    } else {
      r.ok += ri.ok;
      r.failed += ri.failed;
      r.timed_out += ri.timed_out;
      r.seconds += ri.seconds;
    }
  }
  put_connect(out, r);
  const int64_t tj = now_ns();
  while (joined.load() < r.ok && secs_since(tj) < 10) std::this_thread::sleep_for(5ms);
  out["joined"] = joined.load();
  std::string err;
  auto pub_conn = connect_one(rt, rt.worker(0), "", 10, err);
  if (!pub_conn || joined.load() == 0) {
    out["error"] = pub_conn ? "no member joined" : "publisher: " + err;
    finish(rt, out,
           std::string(scenario) + " " + c.label +
               ": failed: " + std::string(out["error"].as_string()));
    stop_all();
    return 1;
  }
  const uint64_t members = joined.load();
  auto pub = std::make_shared<RatePublisher>(delivered, pub_conn, o.rate, o.window, members);
  pub->prefix = "2[\"to_room\",\"" + c.room + "\",\"tick\",";
  pub->suffix = padding_arg(c.payload) + "]";
  asio::post(rt.worker(0).ctx, [pub] { pub->begin(); });
  sleep_s(c.warmup);
  for (auto& x : rts) collect(*x, true);
  const uint64_t sent0 = pub->sent.load();
  std::vector<CpuWindow> cpus;
  for (int pid : pids) cpus.emplace_back(pid);
  sleep_s(c.duration);
  Snapshot s;
  for (auto& x : rts) {
    Snapshot sx = collect(*x, false);
    s.latency.merge(sx.latency);
    s.received += sx.received;
  }
  const double wall = secs_since(cpus[0].t0);
  cpus[0].put(out);
  if (cpus.size() > 1) {
    // The figure is the whole cluster's: every node's CPU over the window.
    double total = out.contains("server_cpu_pct") ? out["server_cpu_pct"].to_number<double>() : 0;
    for (size_t i = 1; i < cpus.size(); ++i) {
      json::object o2;
      cpus[i].put(o2);
      if (o2.contains("server_cpu_pct")) total += o2["server_cpu_pct"].to_number<double>();
    }
    out["server_cpu_pct"] = std::round(total * 10) / 10;
  }
  const uint64_t sent1 = pub->sent.load();
  pub->stop = true;
  // Drain: everything sent should reach every member.
  const uint64_t expected = pub->sent.load() * members;
  const int64_t td = now_ns();
  while (delivered() < expected && secs_since(td) < 5) std::this_thread::sleep_for(10ms);
  const uint64_t got = delivered();
  const double dps = static_cast<double>(s.received) / wall;
  out["messages_per_s"] = r1(static_cast<double>(sent1 - sent0) / wall);
  out["deliveries_per_s"] = std::round(dps);
  out["messages_sent"] = pub->sent.load();
  out["deliveries_expected"] = expected;
  out["deliveries_missing"] = expected > got ? expected - got : 0;
  out["server_rss_kib"] = rss_kib(c.server_pid);
  put_latency(out, s.latency);
  std::string human = std::string(scenario) + " " + c.label + ": " + std::to_string(members) +
                      " members on " + std::to_string(rts.size()) + " node(s), " + si(dps) +
                      " deliveries/s (" + si(static_cast<double>(sent1 - sent0) / wall) +
                      " msg/s), " + latency_text(s.latency) + ", missing " +
                      std::to_string(expected > got ? expected - got : 0);
  finish(rt, out, human);
  for (size_t i = 0; i < rts.size(); ++i) close_all(*rts[i], fleets[i]);
  asio::post(rt.worker(0).ctx, [pub_conn] { pub_conn->close(); });
  stop_all();
  return 0;
}

}  // namespace

int run_fanout(const Common& c, const FanoutOpts& o) {
  return fanout_over(c, o, {c.target}, {c.server_pid}, "fanout");
}

// =================================================================== notify

namespace {

// Paced POSTs over a pool of keep-alive connections, all on one thread.
struct HttpPublisher : std::enable_shared_from_this<HttpPublisher> {
  Runtime& rt;
  Worker& w;
  asio::steady_timer timer;
  double rate;
  std::vector<std::shared_ptr<HttpPoster>> pool;
  std::string path, headers;
  std::function<std::string(int64_t ts)> body;  // called at send time
  uint64_t due_total = 0;
  std::atomic<uint64_t> started{0}, ok{0}, bad{0};
  uint64_t max_backlog = 0;
  std::atomic<bool> stop{false};
  int64_t t0 = 0;
  HttpPublisher(Runtime& r, Worker& wk, double rt_) : rt(r), w(wk), timer(wk.ctx), rate(rt_) {}

  void open(unsigned n, std::atomic<unsigned>& ready_count) {
    for (unsigned i = 0; i < n; ++i) {
      auto p = std::make_shared<HttpPoster>(rt, w);
      pool.push_back(p);
      p->connect(rt.next_source(), [&ready_count](const std::string& e) {
        if (e.empty()) ready_count.fetch_add(1);
      });
    }
  }
  void begin() {
    t0 = now_ns();
    tick();
  }
  void pump() {
    for (auto& p : pool) {
      if (started.load(std::memory_order_relaxed) >= due_total) break;
      if (p->dead()) {  // replace closed connections
        p = std::make_shared<HttpPoster>(rt, w);
        p->connect(rt.next_source(), [](const std::string&) {});
        continue;
      }
      if (!p->idle()) continue;
      started.fetch_add(1, std::memory_order_relaxed);
      p->post(path, headers, body(now_ns()), [self = shared_from_this()](int status) {
        (status >= 200 && status < 300 ? self->ok : self->bad).fetch_add(1);
        if (!self->stop.load(std::memory_order_relaxed)) self->pump();
      });
    }
    const uint64_t backlog = due_total - std::min(due_total, started.load());
    max_backlog = std::max(max_backlog, backlog);
  }
  void tick() {
    if (stop.load(std::memory_order_relaxed)) return;
    due_total = static_cast<uint64_t>(static_cast<double>(now_ns() - t0) * rate / 1e9);
    pump();
    timer.expires_after(1ms);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->tick();
    });
  }
};

}  // namespace

int run_notify(const Common& c, const NotifyOpts& o) {
  Runtime rt(c.threads, c.target);
  rt.start();
  json::object out = base(c, "notify");
  out["users"] = o.users;
  out["target_rate"] = o.rate;
  out["http_conns"] = o.http_conns;
  Fleet fleet;
  ConnectSpec spec;
  spec.data = [&](uint64_t i) {
    return "{\"token\":\"" + make_hs256_jwt(c.jwt_secret, "u" + std::to_string(i)) + "\"}";
  };
  spec.setup = [](SioConn& s) {
    s.on_message = [](SioConn& s, std::string_view m, int64_t now) {
      if (m[0] != '2') return;
      int64_t ts;
      if (!event_ts(m, ts)) return;
      auto& w = s.worker();
      w.stats.latency.record_ns(now - ts);
      ++w.stats.received;
      w.delivered.fetch_add(1, std::memory_order_relaxed);
    };
  };
  auto r = connect_many(rt, c, o.users, fleet, spec);
  put_connect(out, r);
  if (r.ok == 0) {
    finish(rt, out, "notify " + c.label + ": no user connected");
    rt.stop();
    return 1;
  }
  auto pub = std::make_shared<HttpPublisher>(rt, rt.worker(0), o.rate);
  pub->path = "/api/emit";
  pub->headers = "X-API-Key: " + c.api_key + "\r\n";
  auto rng = std::make_shared<std::mt19937_64>(42);
  const std::string pad = padding_arg(c.payload);
  const unsigned users = o.users;
  pub->body = [rng, users, pad](int64_t ts) {
    std::string b = "{\"user\":\"u";
    append_int(b, static_cast<int64_t>((*rng)() % users));
    b += "\",\"event\":\"notify\",\"args\":[";
    append_int(b, ts);
    b += pad;
    b += "]}";
    return b;
  };
  std::atomic<unsigned> http_ready{0};
  asio::post(rt.worker(0).ctx, [&, pub] { pub->open(o.http_conns, http_ready); });
  const int64_t th = now_ns();
  while (http_ready.load() < o.http_conns && secs_since(th) < 5) std::this_thread::sleep_for(1ms);
  asio::post(rt.worker(0).ctx, [pub] { pub->begin(); });
  sleep_s(c.warmup);
  collect(rt, true);
  const uint64_t started0 = pub->started.load();
  CpuWindow cpu(c.server_pid);
  sleep_s(c.duration);
  Snapshot s = collect(rt, false);
  const double wall = secs_since(cpu.t0);
  cpu.put(out);
  const uint64_t started1 = pub->started.load();
  pub->stop = true;
  const int64_t td = now_ns();
  while (pub->ok + pub->bad < pub->started && secs_since(td) < 5) std::this_thread::sleep_for(10ms);
  while (delivered_total(rt) < pub->ok && secs_since(td) < 5) std::this_thread::sleep_for(10ms);
  const uint64_t delivered = delivered_total(rt);
  const double sent_rate = static_cast<double>(started1 - started0) / wall;
  out["sent_per_s"] = r1(sent_rate);
  out["delivered_per_s"] = r1(static_cast<double>(s.received) / wall);
  out["posts_ok"] = pub->ok.load();
  out["posts_failed"] = pub->bad.load();
  out["deliveries_missing"] = pub->ok > delivered ? pub->ok - delivered : 0;
  out["max_backlog"] = pub->max_backlog;
  out["server_rss_kib"] = rss_kib(c.server_pid);
  put_latency(out, s.latency);
  std::string human = "notify " + c.label + ": " + std::to_string(r.ok) + " users, " +
                      si(sent_rate) + "/s sent of " + si(o.rate) + "/s asked, " +
                      latency_text(s.latency) + ", failed posts " +
                      std::to_string(pub->bad.load()) + ", missing " +
                      std::to_string(pub->ok > delivered ? pub->ok - delivered : 0);
  finish(rt, out, human);
  close_all(rt, fleet);
  rt.stop();
  return 0;
}

// ===================================================================== acks

int run_acks(const Common& c, const AckOpts& o) {
  Runtime rt(c.threads, c.target);
  rt.start();
  json::object out = base(c, "acks");
  out["clients"] = o.clients;
  out["window"] = o.window;
  std::atomic<bool> stop{false};
  const std::string pad = padding_arg(c.payload);
  auto send = [pad](SioConn& s) {
    std::string p = "2";
    append_int(p, static_cast<int64_t>(++s.next_ack));
    p += "[\"rtt\",";
    append_int(p, now_ns());
    p += pad;
    p += "]";
    s.emit_packet(p);
    ++s.worker().stats.sent;
  };
  Fleet fleet;
  ConnectSpec spec;
  spec.setup = [&](SioConn& s) {
    s.on_message = [&stop, send](SioConn& s, std::string_view m, int64_t now) {
      if (m[0] != '3') return;
      int64_t ts;
      if (!ack_ts(m, ts)) return;
      auto& w = s.worker();
      w.stats.latency.record_ns(now - ts);
      ++w.stats.received;
      w.delivered.fetch_add(1, std::memory_order_relaxed);
      if (!stop.load(std::memory_order_relaxed)) send(s);
    };
  };
  spec.ready = [](SioConn&) {};
  auto r = connect_many(rt, c, o.clients, fleet, spec);
  put_connect(out, r);
  rt.on_each([&](Worker& w) {
    for (auto& s : fleet[w.index])
      if (s->ready())
        for (unsigned k = 0; k < o.window; ++k) send(*s);
  });
  sleep_s(c.warmup);
  collect(rt, true);
  CpuWindow cpu(c.server_pid);
  sleep_s(c.duration);
  Snapshot s = collect(rt, false);
  const double wall = secs_since(cpu.t0);
  cpu.put(out);
  stop = true;
  std::this_thread::sleep_for(200ms);
  const double rtps = static_cast<double>(s.received) / wall;
  out["round_trips_per_s"] = std::round(rtps);
  out["server_rss_kib"] = rss_kib(c.server_pid);
  put_latency(out, s.latency);
  std::string human = "acks " + c.label + ": " + std::to_string(r.ok) + " clients x " +
                      std::to_string(o.window) + " in flight, " + si(rtps) + " round trips/s, " +
                      latency_text(s.latency);
  finish(rt, out, human);
  close_all(rt, fleet);
  rt.stop();
  return 0;
}

// ====================================================================== sse

int run_sse(const Common& c, const SseOpts& o) {
  Runtime rt(c.threads, c.target);
  rt.start();
  json::object out = base(c, "sse");
  out["clients"] = o.clients;
  out["target_rate"] = o.rate;
  const std::string path = "/sse/" + o.stream;
  std::vector<std::vector<std::shared_ptr<SseConn>>> fleet(rt.threads());
  // Probe: one stream first, to tell "not served" from a real failure.
  std::atomic<int> probe_status{-1};
  std::string probe_error;
  {
    auto probe = std::make_shared<SseConn>(rt, rt.worker(0));
    asio::post(rt.worker(0).ctx, [&, probe] {
      probe->start(rt.next_source(), path, [&](SseConn&, int status, const std::string& e) {
        probe_error = e;
        probe_status = status;
      });
    });
    const int64_t t0 = now_ns();
    while (probe_status.load() < 0 && secs_since(t0) < 10) std::this_thread::sleep_for(1ms);
    asio::post(rt.worker(0).ctx, [probe] { probe->close(); });
    std::this_thread::sleep_for(20ms);
  }
  if (probe_status.load() == 404) {
    out["skipped"] = true;
    out["reason"] = "server does not serve /sse yet (HTTP 404)";
    finish(rt, out, "SSE: server does not serve /sse yet");
    rt.stop();
    return 0;
  }
  if (probe_status.load() != 200) {
    out["error"] =
        "probe GET " + path + ": " + (probe_error.empty() ? std::string("timeout") : probe_error);
    finish(rt, out, "sse " + c.label + ": " + std::string(out["error"].as_string()));
    rt.stop();
    return 1;
  }
  const uint64_t ok0 = rt.connected.load(), fail0 = rt.failed.load();
  rt.on_each([&](Worker& w) {
    Worker* wp = &w;
    for (uint64_t i = w.index; i < o.clients; i += rt.threads()) {
      auto s = std::make_shared<SseConn>(rt, w);
      s->tag = i;
      s->on_event = [wp](SseConn&, std::string_view data, int64_t now) {
        int64_t ts;
        if (!first_int(data, ts)) return;
        wp->stats.latency.record_ns(now - ts);
        ++wp->stats.received;
        wp->delivered.fetch_add(1, std::memory_order_relaxed);
      };
      fleet[w.index].push_back(s);
      s->start(rt.next_source(), path, [](SseConn&, int, const std::string&) {});
    }
  });
  const int64_t tc = now_ns();
  while (rt.connected.load() - ok0 + rt.failed.load() - fail0 < o.clients &&
         secs_since(tc) < c.connect_timeout)
    std::this_thread::sleep_for(5ms);
  ConnectResult r;
  r.ok = rt.connected.load() - ok0;
  r.failed = rt.failed.load() - fail0;
  r.timed_out = o.clients - r.ok - r.failed;
  r.seconds = secs_since(tc);
  put_connect(out, r);
  auto pub = std::make_shared<HttpPublisher>(rt, rt.worker(0), o.rate);
  pub->path = o.publish_path;
  for (auto p = pub->path.find("{stream}"); p != std::string::npos; p = pub->path.find("{stream}"))
    pub->path.replace(p, 8, o.stream);
  pub->headers = "X-API-Key: " + c.api_key + "\r\n";
  const std::string tmpl = o.publish_body;
  const std::string stream = o.stream;
  pub->body = [tmpl, stream](int64_t ts) {
    std::string b = tmpl;
    for (auto p = b.find("{stream}"); p != std::string::npos; p = b.find("{stream}"))
      b.replace(p, 8, stream);
    for (auto p = b.find("{t}"); p != std::string::npos; p = b.find("{t}"))
      b.replace(p, 3, std::to_string(ts));
    return b;
  };
  std::atomic<unsigned> http_ready{0};
  asio::post(rt.worker(0).ctx, [&, pub] { pub->open(o.http_conns, http_ready); });
  const int64_t th = now_ns();
  while (http_ready.load() < o.http_conns && secs_since(th) < 5) std::this_thread::sleep_for(1ms);
  asio::post(rt.worker(0).ctx, [pub] { pub->begin(); });
  sleep_s(c.warmup);
  collect(rt, true);
  CpuWindow cpu(c.server_pid);
  sleep_s(c.duration);
  Snapshot s = collect(rt, false);
  const double wall = secs_since(cpu.t0);
  cpu.put(out);
  pub->stop = true;
  const double dps = static_cast<double>(s.received) / wall;
  out["sent_per_s"] =
      r1(static_cast<double>(pub->ok.load() + pub->bad.load()) / (c.warmup + c.duration));
  out["deliveries_per_s"] = std::round(dps);
  out["posts_ok"] = pub->ok.load();
  out["posts_failed"] = pub->bad.load();
  put_latency(out, s.latency);
  finish(rt, out,
         "sse " + c.label + ": " + std::to_string(r.ok) + " streams, " + si(dps) +
             " deliveries/s, " + latency_text(s.latency) + ", failed posts " +
             std::to_string(pub->bad.load()));
  rt.on_each([&](Worker& w) {
    for (auto& s : fleet[w.index]) s->close();
  });
  rt.stop();
  return 0;
}

// ================================================================== cluster

// Members split over two nodes that share the room through their broker
// (Switchboard's [cluster], or socket.io's Redis adapter); the publisher on the
// first node. Every delivery to the second node's members crossed the broker.
int run_cluster(const Common& c, const ClusterOpts& o) {
  Target second = c.target;
  second.port = o.port2;
  return fanout_over(c, o.fanout, {c.target, second}, {c.server_pid, o.server_pid2}, "cluster");
}

// ==================================================================== soak

namespace {

size_t open_fds(int pid) {
  if (pid <= 0) return 0;
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

}  // namespace

// Rounds of churn: each round connects `conns` clients (half join a room),
// publishes to the room and has every client emit `echo` for `round` seconds,
// then closes them all. After each round (and a pause for the server to
// reap), the server's RSS and open descriptors are sampled. A leak shows as
// growth from the round after the warm-up to the last one; the exit status is
// 1 when descriptors grew by more than `fd_slack` or RSS by more than
// `rss_slack_mib`.
int run_soak(const Common& c, const SoakOpts& o) {
  Runtime rt(c.threads, c.target);
  rt.start();
  json::object out = base(c, "soak");
  out["conns_per_round"] = o.conns;
  out["round_seconds"] = o.round;
  const std::string join_pkt = "21[\"join\",\"" + c.room + "\"]";
  std::atomic<uint64_t> received{0};
  ConnectSpec spec;
  spec.setup = [&](SioConn& s) {
    s.on_message = [&received](SioConn&, std::string_view, int64_t) {
      received.fetch_add(1, std::memory_order_relaxed);
    };
  };
  spec.ready = [&](SioConn& s) {
    if (s.tag % 2 == 0) s.emit_packet(join_pkt);
  };
  json::array rounds;
  uint64_t rss_base = 0, fds_base = 0, rss_last = 0, fds_last = 0, connected = 0;
  const int64_t t0 = now_ns();
  unsigned round = 0;
  while (secs_since(t0) < o.minutes * 60 || round < 2) {
    Fleet fleet;
    auto r = connect_many(rt, c, o.conns, fleet, spec);
    connected += r.ok;
    // Traffic: a room publish and an echo from every client, each 100 ms.
    const int64_t tr = now_ns();
    std::string pub_pkt = "2[\"to_room\",\"" + c.room + "\",\"tick\",1]";
    while (secs_since(tr) < o.round) {
      rt.on_each([&](Worker& w) {
        auto& mine = fleet[w.index];
        for (size_t i = 0; i < mine.size(); ++i) {
          if (!mine[i]->ready()) continue;
          mine[i]->emit_packet(i == 0 ? pub_pkt : std::string("2[\"echo\",\"x\"]"));
        }
      });
      sleep_s(0.1);
    }
    close_all(rt, fleet);
    sleep_s(o.settle);
    const uint64_t rss = rss_kib(c.server_pid);
    const uint64_t fds = open_fds(c.server_pid);
    rounds.push_back(
        json::object{{"round", round}, {"connected", r.ok}, {"rss_kib", rss}, {"fds", fds}});
    std::cerr << "soak round " << round << ": " << r.ok << " connected, server RSS " << rss / 1024.0
              << " MiB, " << fds << " fds" << std::endl;
    if (round == 0) {  // the first round warms up pools and caches
      rss_base = rss;
      fds_base = fds;
    }
    rss_last = rss;
    fds_last = fds;
    ++round;
  }
  const double rss_growth_mib =
      (static_cast<double>(rss_last) - static_cast<double>(rss_base)) / 1024.0;
  const int64_t fd_growth = static_cast<int64_t>(fds_last) - static_cast<int64_t>(fds_base);
  const bool flat =
      fd_growth <= static_cast<int64_t>(o.fd_slack) && rss_growth_mib <= o.rss_slack_mib;
  out["rounds"] = std::move(rounds);
  out["connections_total"] = connected;
  out["messages_received"] = received.load();
  out["rss_growth_mib"] = r3(rss_growth_mib);
  out["fd_growth"] = fd_growth;
  out["flat"] = flat;
  char human[300];
  std::snprintf(human, sizeof human,
                "soak %s: %u rounds, %llu connections, %llu messages; after warm-up RSS %+.2f MiB, "
                "fds %+lld: %s",
                c.label.c_str(), round, (unsigned long long)connected,
                (unsigned long long)received.load(), rss_growth_mib, (long long)fd_growth,
                flat ? "flat" : "GROWING");
  finish(rt, out, human);
  rt.stop();
  return flat ? 0 : 1;
}

}  // namespace sbl
