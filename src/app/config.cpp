#include "app/config.hpp"

#include <toml++/toml.h>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "gateways/inter_service/cluster_channels.hpp"
#include "gateways/intra_service/stream_catalog.hpp"
#include "hub/route_table.hpp"

namespace sb {

namespace {

[[noreturn]] void fail(const std::string& msg) {
  throw ConfigError(msg);
}

void check_keys(const toml::table& t, const std::string& where,
                std::initializer_list<const char*> known) {
  for (auto& [k, v] : t) {
    bool ok = false;
    for (auto* n : known) ok = ok || k.str() == n;
    if (!ok)
      fail("unknown key \"" + (where.empty() ? "" : where + ".") + std::string(k.str()) + "\"");
  }
}

std::string get_string(const toml::table& t, const std::string& where, const char* key,
                       const std::string& def) {
  auto* n = t.get(key);
  if (!n) return def;
  if (auto s = n->value<std::string>(); s && n->is_string()) return *s;
  fail(where + "." + key + ": expected a string");
}

int64_t get_int(const toml::table& t, const std::string& where, const char* key, int64_t def,
                int64_t lo, int64_t hi) {
  auto* n = t.get(key);
  if (!n) return def;
  if (!n->is_integer()) fail(where + "." + key + ": expected an integer");
  int64_t v = *n->value<int64_t>();
  if (v < lo || v > hi)
    fail(where + "." + key + ": expected an integer in " + std::to_string(lo) + ".." +
         std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

bool get_bool(const toml::table& t, const std::string& where, const char* key, bool def) {
  auto* n = t.get(key);
  if (!n) return def;
  if (!n->is_boolean()) fail(where + "." + key + ": expected true or false");
  return *n->value<bool>();
}

std::vector<std::string> get_strings(const toml::table& t, const std::string& where,
                                     const char* key, std::vector<std::string> def) {
  auto* n = t.get(key);
  if (!n) return def;
  auto* arr = n->as_array();
  if (!arr) fail(where + "." + key + ": expected an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto* e = arr->get(i);
    if (!e->is_string()) fail(where + "." + key + "[" + std::to_string(i) + "]: expected a string");
    out.push_back(*e->value<std::string>());
  }
  return out;
}

const toml::table* section(const toml::table& root, const char* name) {
  auto* n = root.get(name);
  if (!n) return nullptr;
  if (!n->is_table()) fail(std::string(name) + ": expected a table");
  return n->as_table();
}

constexpr int64_t kMaxMs = 24LL * 3600 * 1000;

// [inbox]: kept apart from parse_config so the section reads (and merges) on its own.
void parse_inbox(const toml::table& t, Config::Inbox& in) {
  const std::string w = "inbox";
  check_keys(
      t, w,
      {"enabled", "store", "path", "redis_url", "key_prefix", "store_by_default", "deliver_missed",
       "max_age_s", "max_per_user", "prune_interval_s", "max_missed_push", "max_page"});
  in.enabled = get_bool(t, w, "enabled", in.enabled);
  in.store = get_string(t, w, "store", in.store);
  in.path = get_string(t, w, "path", in.path);
  in.redis_url = get_string(t, w, "redis_url", in.redis_url);
  in.key_prefix = get_string(t, w, "key_prefix", in.key_prefix);
  in.store_by_default = get_bool(t, w, "store_by_default", in.store_by_default);
  in.deliver_missed = get_bool(t, w, "deliver_missed", in.deliver_missed);
  constexpr int64_t kYear = 366LL * 24 * 3600;
  in.max_age_s = static_cast<uint32_t>(get_int(t, w, "max_age_s", in.max_age_s, 0, 100 * kYear));
  in.max_per_user =
      static_cast<uint32_t>(get_int(t, w, "max_per_user", in.max_per_user, 0, 100000000));
  in.prune_interval_s =
      static_cast<uint32_t>(get_int(t, w, "prune_interval_s", in.prune_interval_s, 1, kYear));
  in.max_missed_push =
      static_cast<uint32_t>(get_int(t, w, "max_missed_push", in.max_missed_push, 1, 100000));
  in.max_page = static_cast<uint32_t>(get_int(t, w, "max_page", in.max_page, 1, 10000));
}

// [limits]: every key is an unsigned integer; one table serves parsing,
// environment overrides and printing.
struct LimitKey {
  const char* key;
  int64_t lo, hi;
  uint64_t Config::Limits::*u64;
  uint32_t Config::Limits::*u32;
};
constexpr int64_t kU32 = 0xffffffffLL;
const LimitKey kLimitKeys[] = {
    {"max_connections", 0, kU32, nullptr, &Config::Limits::max_connections},
    {"max_connections_per_ip", 0, kU32, nullptr, &Config::Limits::max_connections_per_ip},
    {"handshakes_per_second", 0, kU32, nullptr, &Config::Limits::handshakes_per_second},
    {"handshake_burst", 0, kU32, nullptr, &Config::Limits::handshake_burst},
    {"events_per_second", 0, kU32, nullptr, &Config::Limits::events_per_second},
    {"event_burst", 0, kU32, nullptr, &Config::Limits::event_burst},
    {"max_rooms_per_socket", 0, kU32, nullptr, &Config::Limits::max_rooms_per_socket},
    {"max_name_bytes", 0, kU32, nullptr, &Config::Limits::max_name_bytes},
    {"max_pending_acks", 0, kU32, nullptr, &Config::Limits::max_pending_acks},
    {"max_outbound_bytes", 1024, 1LL << 40, &Config::Limits::max_outbound_bytes, nullptr},
};

void set_limit(Config::Limits& l, const LimitKey& k, int64_t v) {
  if (k.u64)
    l.*k.u64 = static_cast<uint64_t>(v);
  else
    l.*k.u32 = static_cast<uint32_t>(v);
}
int64_t get_limit(const Config::Limits& l, const LimitKey& k) {
  return k.u64 ? static_cast<int64_t>(l.*k.u64) : static_cast<int64_t>(l.*k.u32);
}

void parse_limits(const toml::table& t, Config::Limits& l) {
  for (auto& [k, v] : t) {
    bool ok = false;
    for (auto& lk : kLimitKeys) ok = ok || k.str() == lk.key;
    if (!ok) fail("unknown key \"limits." + std::string(k.str()) + "\"");
  }
  for (auto& lk : kLimitKeys)
    set_limit(l, lk, get_int(t, "limits", lk.key, get_limit(l, lk), lk.lo, lk.hi));
}

}  // namespace

Config parse_config(const std::string& text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
       << e.description();
    fail(os.str());
  }
  check_keys(root, "",
             {"server", "engineio", "socketio", "echo", "auth", "api", "log", "sse", "dashboard",
              "routes", "brokers", "inbox", "cluster", "limits", "tls"});
  Config c;
  if (auto* t = section(root, "server")) {
    check_keys(*t, "server",
               {"host", "port", "workers", "max_header_bytes", "shutdown_timeout_ms"});
    c.server.host = get_string(*t, "server", "host", c.server.host);
    c.server.port = static_cast<uint16_t>(get_int(*t, "server", "port", c.server.port, 0, 65535));
    c.server.workers = static_cast<unsigned>(get_int(*t, "server", "workers", 0, 0, 4096));
    c.server.max_header_bytes = static_cast<size_t>(
        get_int(*t, "server", "max_header_bytes", c.server.max_header_bytes, 1024, 1 << 20));
    c.server.shutdown_timeout_ms = static_cast<uint32_t>(get_int(
        *t, "server", "shutdown_timeout_ms", c.server.shutdown_timeout_ms, 100, 3600 * 1000));
  }
  if (auto* t = section(root, "limits")) parse_limits(*t, c.limits);
  if (auto* t = section(root, "engineio")) {
    const std::string w = "engineio";
    check_keys(*t, w,
               {"ping_interval_ms", "ping_timeout_ms", "upgrade_timeout_ms", "max_payload",
                "transports", "cors_origins", "cors_credentials", "allowed_origins"});
    auto& e = c.engineio;
    e.ping_interval_ms =
        static_cast<uint32_t>(get_int(*t, w, "ping_interval_ms", e.ping_interval_ms, 1, kMaxMs));
    e.ping_timeout_ms =
        static_cast<uint32_t>(get_int(*t, w, "ping_timeout_ms", e.ping_timeout_ms, 1, kMaxMs));
    e.upgrade_timeout_ms = static_cast<uint32_t>(
        get_int(*t, w, "upgrade_timeout_ms", e.upgrade_timeout_ms, 1, kMaxMs));
    e.max_payload = static_cast<uint64_t>(
        get_int(*t, w, "max_payload", static_cast<int64_t>(e.max_payload), 1, 1LL << 30));
    e.transports = get_strings(*t, w, "transports", e.transports);
    for (size_t i = 0; i < e.transports.size(); ++i)
      if (e.transports[i] != "polling" && e.transports[i] != "websocket")
        fail(w + ".transports[" + std::to_string(i) + "]: unknown transport \"" + e.transports[i] +
             "\"");
    if (e.transports.empty()) fail(w + ".transports: at least one transport is needed");
    e.cors_origins = get_strings(*t, w, "cors_origins", e.cors_origins);
    e.cors_credentials = get_bool(*t, w, "cors_credentials", e.cors_credentials);
    e.allowed_origins = get_strings(*t, w, "allowed_origins", e.allowed_origins);
  }
  if (auto* t = section(root, "socketio")) {
    const std::string w = "socketio";
    check_keys(*t, w,
               {"path", "connect_timeout_ms", "ack_timeout_ms", "max_attachments", "namespaces",
                "recovery"});
    auto& s = c.socketio;
    s.path = get_string(*t, w, "path", s.path);
    s.connect_timeout_ms = static_cast<uint32_t>(
        get_int(*t, w, "connect_timeout_ms", s.connect_timeout_ms, 1, kMaxMs));
    s.ack_timeout_ms =
        static_cast<uint32_t>(get_int(*t, w, "ack_timeout_ms", s.ack_timeout_ms, 1, kMaxMs));
    s.max_attachments =
        static_cast<uint32_t>(get_int(*t, w, "max_attachments", s.max_attachments, 0, 1000));
    if (auto* r = t->get("recovery")) {
      const std::string rw = w + ".recovery";
      auto* rt = r->as_table();
      if (!rt) fail(rw + ": expected a table ([socketio.recovery])");
      check_keys(*rt, rw, {"enabled", "max_disconnection_ms", "max_packets"});
      auto& rc = s.recovery;
      rc.enabled = get_bool(*rt, rw, "enabled", rc.enabled);
      rc.max_disconnection_ms = static_cast<uint32_t>(
          get_int(*rt, rw, "max_disconnection_ms", rc.max_disconnection_ms, 1, kMaxMs));
      rc.max_packets =
          static_cast<uint32_t>(get_int(*rt, rw, "max_packets", rc.max_packets, 1, 10000000));
    }
    if (auto* n = t->get("namespaces")) {
      auto* arr = n->as_array();
      if (!arr) fail(w + ".namespaces: expected an array of tables ([[socketio.namespaces]])");
      s.namespaces.clear();
      for (size_t i = 0; i < arr->size(); ++i) {
        const std::string nw = w + ".namespaces[" + std::to_string(i) + "]";
        auto* nt = arr->get(i)->as_table();
        if (!nt) fail(nw + ": expected a table");
        check_keys(*nt, nw, {"name", "on_connect", "events"});
        NamespaceConfig nc;
        nc.name = get_string(*nt, nw, "name", nc.name);
        nc.on_connect = get_string(*nt, nw, "on_connect", "");
        if (auto* ev = nt->get("events")) {
          auto* et = ev->as_table();
          if (!et) fail(nw + ".events: expected a table of event = \"handler\"");
          for (auto& [k, v] : *et) {
            if (!v.is_string())
              fail(nw + ".events." + std::string(k.str()) + ": expected a handler name");
            nc.events.push_back({std::string(k.str()), *v.value<std::string>()});
          }
        }
        s.namespaces.push_back(std::move(nc));
      }
    }
  }
  if (auto* t = section(root, "tls")) {
    check_keys(*t, "tls", {"enabled", "port", "cert", "key"});
    c.tls.enabled = get_bool(*t, "tls", "enabled", c.tls.enabled);
    c.tls.port = static_cast<uint16_t>(get_int(*t, "tls", "port", c.tls.port, 0, 65535));
    c.tls.cert = get_string(*t, "tls", "cert", c.tls.cert);
    c.tls.key = get_string(*t, "tls", "key", c.tls.key);
  }
  if (auto* t = section(root, "echo")) {
    check_keys(*t, "echo", {"path"});
    c.echo.path = get_string(*t, "echo", "path", "");
  }
  if (auto* t = section(root, "auth")) {
    const std::string w = "auth";
    check_keys(*t, w,
               {"allow_anonymous", "jwt_algorithm", "jwt_secret", "jwt_key_file", "jwt_audience",
                "jwt_issuer"});
    auto& a = c.auth;
    a.allow_anonymous = get_bool(*t, w, "allow_anonymous", a.allow_anonymous);
    a.jwt_algorithm = get_string(*t, w, "jwt_algorithm", a.jwt_algorithm);
    a.jwt_secret = get_string(*t, w, "jwt_secret", a.jwt_secret);
    a.jwt_key_file = get_string(*t, w, "jwt_key_file", a.jwt_key_file);
    a.jwt_audience = get_string(*t, w, "jwt_audience", a.jwt_audience);
    a.jwt_issuer = get_string(*t, w, "jwt_issuer", a.jwt_issuer);
  }
  if (auto* t = section(root, "api")) {
    check_keys(*t, "api", {"keys"});
    c.api.keys = get_strings(*t, "api", "keys", {});
  }
  if (auto* t = section(root, "sse")) {
    const std::string w = "sse";
    check_keys(*t, w,
               {"heartbeat_ms", "retry_ms", "history_size", "max_topics", "max_buffer_bytes",
                "max_streams", "user_streams", "cors_origins", "streams"});
    auto& e = c.sse;
    e.heartbeat_ms =
        static_cast<uint32_t>(get_int(*t, w, "heartbeat_ms", e.heartbeat_ms, 0, kMaxMs));
    e.retry_ms = static_cast<uint32_t>(get_int(*t, w, "retry_ms", e.retry_ms, 0, kMaxMs));
    e.history_size =
        static_cast<uint32_t>(get_int(*t, w, "history_size", e.history_size, 0, 1000000));
    e.max_topics = static_cast<uint32_t>(get_int(*t, w, "max_topics", e.max_topics, 1, 1000));
    e.max_buffer_bytes = static_cast<uint64_t>(get_int(
        *t, w, "max_buffer_bytes", static_cast<int64_t>(e.max_buffer_bytes), 1024, 1LL << 32));
    e.max_streams =
        static_cast<uint32_t>(get_int(*t, w, "max_streams", e.max_streams, 1, 10000000));
    e.user_streams = get_bool(*t, w, "user_streams", e.user_streams);
    if (t->get("cors_origins")) {
      e.cors_origins = get_strings(*t, w, "cors_origins", {});
      e.cors_origins_set = true;
    }
    if (auto* n = t->get("streams")) {
      auto* arr = n->as_array();
      if (!arr) fail(w + ".streams: expected an array of tables ([[sse.streams]])");
      for (size_t i = 0; i < arr->size(); ++i) {
        const std::string sw = w + ".streams[" + std::to_string(i) + "]";
        auto* st = arr->get(i)->as_table();
        if (!st) fail(sw + ": expected a table");
        check_keys(*st, sw, {"name", "access", "history_size"});
        SseStreamConfig sc;
        sc.name = get_string(*st, sw, "name", "");
        if (sc.name.empty()) fail(sw + ".name: a stream needs a name");
        sc.access = get_string(*st, sw, "access", sc.access);
        sc.history_size = get_int(*st, sw, "history_size", -1, 0, 1000000);
        e.streams.push_back(std::move(sc));
      }
    }
  }
  if (auto* t = section(root, "dashboard")) {
    const std::string w = "dashboard";
    check_keys(*t, w,
               {"enabled", "auth", "metrics_interval_ms", "metrics_history", "logs_history"});
    auto& d = c.dashboard;
    d.enabled = get_bool(*t, w, "enabled", d.enabled);
    d.auth = get_string(*t, w, "auth", d.auth);
    d.metrics_interval_ms = static_cast<uint32_t>(
        get_int(*t, w, "metrics_interval_ms", d.metrics_interval_ms, 50, kMaxMs));
    d.metrics_history =
        static_cast<uint32_t>(get_int(*t, w, "metrics_history", d.metrics_history, 0, 100000));
    d.logs_history =
        static_cast<uint32_t>(get_int(*t, w, "logs_history", d.logs_history, 0, 100000));
  }
  if (auto* n = root.get("routes")) {
    auto* arr = n->as_array();
    if (!arr) fail("routes: expected an array of tables ([[routes]])");
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string rw = "routes[" + std::to_string(i) + "]";
      auto* rt = arr->get(i)->as_table();
      if (!rt) fail(rw + ": expected a table");
      check_keys(*rt, rw,
                 {"from", "to", "event", "namespace", "broker", "reply", "include_sender", "store",
                  "deliver_missed"});
      RouteConfig rc;
      rc.from = get_string(*rt, rw, "from", "");
      if (rc.from.empty()) fail(rw + ".from: a route needs a source event or pattern");
      if (auto* to = rt->get("to"); to && to->is_string())
        rc.to = {*to->value<std::string>()};
      else
        rc.to = get_strings(*rt, rw, "to", {});
      if (rc.to.empty()) fail(rw + ".to: a route needs at least one target");
      rc.event = get_string(*rt, rw, "event", "");
      rc.nsp = get_string(*rt, rw, "namespace", rc.nsp);
      rc.broker = get_string(*rt, rw, "broker", "");
      rc.reply = get_bool(*rt, rw, "reply", false);
      rc.include_sender = get_bool(*rt, rw, "include_sender", false);
      if (rt->contains("store")) rc.store = get_bool(*rt, rw, "store", false);
      if (rt->contains("deliver_missed"))
        rc.deliver_missed = get_bool(*rt, rw, "deliver_missed", true);
      c.routes.push_back(std::move(rc));
    }
  }
  if (auto* n = root.get("brokers")) {
    auto* arr = n->as_array();
    if (!arr) fail("brokers: expected an array of tables ([[brokers]])");
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string bw = "brokers[" + std::to_string(i) + "]";
      auto* bt = arr->get(i)->as_table();
      if (!bt) fail(bw + ": expected a table");
      check_keys(*bt, bw,
                 {"name", "kind", "url", "codec", "bus", "required", "emitter_prefix",
                  "request_timeout_ms", "max_queued_publishes", "group_id", "options"});
      BrokerConfig b;
      b.kind = get_string(*bt, bw, "kind", b.kind);
      b.name = get_string(*bt, bw, "name", b.kind);
      b.url = get_string(*bt, bw, "url", "");
      b.codec = get_string(*bt, bw, "codec", b.codec);
      b.bus = get_strings(*bt, bw, "bus", {});
      b.required = get_bool(*bt, bw, "required", b.required);
      b.emitter_prefix = get_string(*bt, bw, "emitter_prefix", "");
      b.request_timeout_ms = static_cast<uint32_t>(
          get_int(*bt, bw, "request_timeout_ms", b.request_timeout_ms, 1, kMaxMs));
      b.max_queued_publishes =
          static_cast<uint64_t>(get_int(*bt, bw, "max_queued_publishes", 10000, 0, 100000000));
      b.group_id = get_string(*bt, bw, "group_id", "");
      if (auto* o = bt->get("options")) {
        auto* ot = o->as_table();
        if (!ot) fail(bw + ".options: expected a table of strings");
        for (auto& [k, v] : *ot) {
          if (!v.is_string()) fail(bw + ".options." + std::string(k.str()) + ": expected a string");
          b.options[std::string(k.str())] = *v.value<std::string>();
        }
      }
      c.brokers.push_back(std::move(b));
    }
  }
  if (auto* t = section(root, "inbox")) parse_inbox(*t, c.inbox);
  if (auto* t = section(root, "cluster")) {
    check_keys(*t, "cluster",
               {"enabled", "broker", "prefix", "heartbeat_ms", "node_timeout_ms",
                "request_timeout_ms", "presence_events", "heartbeat_chunk_users"});
    c.cluster.enabled = get_bool(*t, "cluster", "enabled", c.cluster.enabled);
    c.cluster.broker = get_string(*t, "cluster", "broker", c.cluster.broker);
    c.cluster.prefix = get_string(*t, "cluster", "prefix", c.cluster.prefix);
    c.cluster.heartbeat_ms = static_cast<uint32_t>(
        get_int(*t, "cluster", "heartbeat_ms", c.cluster.heartbeat_ms, 50, 3600000));
    c.cluster.node_timeout_ms = static_cast<uint32_t>(
        get_int(*t, "cluster", "node_timeout_ms", c.cluster.node_timeout_ms, 100, 36000000));
    c.cluster.request_timeout_ms = static_cast<uint32_t>(
        get_int(*t, "cluster", "request_timeout_ms", c.cluster.request_timeout_ms, 1, 600000));
    c.cluster.presence_events =
        get_bool(*t, "cluster", "presence_events", c.cluster.presence_events);
    c.cluster.heartbeat_chunk_users = static_cast<uint32_t>(get_int(
        *t, "cluster", "heartbeat_chunk_users", c.cluster.heartbeat_chunk_users, 1, 100000));
  }
  if (auto* t = section(root, "log")) {
    check_keys(*t, "log", {"level", "format"});
    c.log.level = get_string(*t, "log", "level", c.log.level);
    c.log.format = get_string(*t, "log", "format", c.log.format);
  }
  return c;
}

namespace {

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(v);
  while (std::getline(is, cur, ','))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

int64_t env_int(const std::string& var, const std::string& v, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || n < lo || n > hi)
    fail(var + ": expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
         ", got \"" + v + "\"");
  return n;
}

bool env_bool(const std::string& var, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  fail(var + ": expected true or false, got \"" + v + "\"");
}

// SWITCHBOARD_INBOX_<KEY>; false when `k` is not an inbox key.
bool apply_inbox_env(Config::Inbox& in, const std::string& k, const std::string& var,
                     const std::string& v) {
  if (k == "INBOX_ENABLED")
    in.enabled = env_bool(var, v);
  else if (k == "INBOX_STORE")
    in.store = v;
  else if (k == "INBOX_PATH")
    in.path = v;
  else if (k == "INBOX_REDIS_URL")
    in.redis_url = v;
  else if (k == "INBOX_KEY_PREFIX")
    in.key_prefix = v;
  else if (k == "INBOX_STORE_BY_DEFAULT")
    in.store_by_default = env_bool(var, v);
  else if (k == "INBOX_DELIVER_MISSED")
    in.deliver_missed = env_bool(var, v);
  else if (k == "INBOX_MAX_AGE_S")
    in.max_age_s = static_cast<uint32_t>(env_int(var, v, 0, 3600LL * 24 * 366 * 100));
  else if (k == "INBOX_MAX_PER_USER")
    in.max_per_user = static_cast<uint32_t>(env_int(var, v, 0, 100000000));
  else if (k == "INBOX_PRUNE_INTERVAL_S")
    in.prune_interval_s = static_cast<uint32_t>(env_int(var, v, 1, 3600LL * 24 * 366));
  else if (k == "INBOX_MAX_MISSED_PUSH")
    in.max_missed_push = static_cast<uint32_t>(env_int(var, v, 1, 100000));
  else if (k == "INBOX_MAX_PAGE")
    in.max_page = static_cast<uint32_t>(env_int(var, v, 1, 10000));
  else
    return false;
  return true;
}

}  // namespace

void apply_env_overrides(Config& c, const std::map<std::string, std::string>& env) {
  for (auto& [var, v] : env) {
    if (var.rfind("SWITCHBOARD_", 0) != 0) continue;
    const std::string k = var.substr(12);
    if (k == "BIN" || k == "CONFIG") continue;  // used by tooling, not config keys
    if (apply_inbox_env(c.inbox, k, var, v)) continue;
    if (k.rfind("LIMITS_", 0) == 0) {
      bool found = false;
      for (auto& lk : kLimitKeys) {
        std::string name = "LIMITS_";
        for (const char* p = lk.key; *p; ++p) name += static_cast<char>(std::toupper(*p));
        if (k != name) continue;
        set_limit(c.limits, lk, env_int(var, v, lk.lo, lk.hi));
        found = true;
      }
      if (!found) fail("unknown environment variable " + var);
      continue;
    }
    if (k == "SERVER_SHUTDOWN_TIMEOUT_MS") {
      c.server.shutdown_timeout_ms = static_cast<uint32_t>(env_int(var, v, 100, 3600 * 1000));
      continue;
    }
    if (k == "CLUSTER_ENABLED") {
      c.cluster.enabled = env_bool(var, v);
      continue;
    }
    if (k == "CLUSTER_BROKER") {
      c.cluster.broker = v;
      continue;
    }
    if (k == "CLUSTER_PREFIX") {
      c.cluster.prefix = v;
      continue;
    }
    if (k == "CLUSTER_HEARTBEAT_MS") {
      c.cluster.heartbeat_ms = static_cast<uint32_t>(env_int(var, v, 50, 3600000));
      continue;
    }
    if (k == "CLUSTER_NODE_TIMEOUT_MS") {
      c.cluster.node_timeout_ms = static_cast<uint32_t>(env_int(var, v, 100, 36000000));
      continue;
    }
    if (k == "CLUSTER_PRESENCE_EVENTS") {
      c.cluster.presence_events = env_bool(var, v);
      continue;
    }
    if (k == "CLUSTER_HEARTBEAT_CHUNK_USERS") {
      c.cluster.heartbeat_chunk_users = static_cast<uint32_t>(env_int(var, v, 1, 100000));
      continue;
    }
    if (k == "CLUSTER_REQUEST_TIMEOUT_MS") {
      c.cluster.request_timeout_ms = static_cast<uint32_t>(env_int(var, v, 1, 600000));
      continue;
    }
    if (k == "SERVER_HOST")
      c.server.host = v;
    else if (k == "SERVER_PORT")
      c.server.port = static_cast<uint16_t>(env_int(var, v, 0, 65535));
    else if (k == "SERVER_WORKERS")
      c.server.workers = static_cast<unsigned>(env_int(var, v, 0, 4096));
    else if (k == "SERVER_MAX_HEADER_BYTES")
      c.server.max_header_bytes = env_int(var, v, 1024, 1 << 20);
    else if (k == "ENGINEIO_PING_INTERVAL_MS")
      c.engineio.ping_interval_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "ENGINEIO_PING_TIMEOUT_MS")
      c.engineio.ping_timeout_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "ENGINEIO_UPGRADE_TIMEOUT_MS")
      c.engineio.upgrade_timeout_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "ENGINEIO_MAX_PAYLOAD")
      c.engineio.max_payload = env_int(var, v, 1, 1LL << 30);
    else if (k == "ENGINEIO_TRANSPORTS")
      c.engineio.transports = split_list(v);
    else if (k == "ENGINEIO_CORS_ORIGINS")
      c.engineio.cors_origins = split_list(v);
    else if (k == "ENGINEIO_CORS_CREDENTIALS")
      c.engineio.cors_credentials = env_bool(var, v);
    else if (k == "ENGINEIO_ALLOWED_ORIGINS")
      c.engineio.allowed_origins = split_list(v);
    else if (k == "SOCKETIO_PATH")
      c.socketio.path = v;
    else if (k == "SOCKETIO_CONNECT_TIMEOUT_MS")
      c.socketio.connect_timeout_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "SOCKETIO_ACK_TIMEOUT_MS")
      c.socketio.ack_timeout_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "SOCKETIO_MAX_ATTACHMENTS")
      c.socketio.max_attachments = static_cast<uint32_t>(env_int(var, v, 0, 1000));
    else if (k == "SOCKETIO_RECOVERY_ENABLED")
      c.socketio.recovery.enabled = env_bool(var, v);
    else if (k == "SOCKETIO_RECOVERY_MAX_DISCONNECTION_MS")
      c.socketio.recovery.max_disconnection_ms = static_cast<uint32_t>(env_int(var, v, 1, kMaxMs));
    else if (k == "SOCKETIO_RECOVERY_MAX_PACKETS")
      c.socketio.recovery.max_packets = static_cast<uint32_t>(env_int(var, v, 1, 10000000));
    else if (k == "TLS_ENABLED")
      c.tls.enabled = env_bool(var, v);
    else if (k == "TLS_PORT")
      c.tls.port = static_cast<uint16_t>(env_int(var, v, 0, 65535));
    else if (k == "TLS_CERT")
      c.tls.cert = v;
    else if (k == "TLS_KEY")
      c.tls.key = v;
    else if (k == "ECHO_PATH")
      c.echo.path = v;
    else if (k == "AUTH_ALLOW_ANONYMOUS")
      c.auth.allow_anonymous = env_bool(var, v);
    else if (k == "AUTH_JWT_ALGORITHM")
      c.auth.jwt_algorithm = v;
    else if (k == "AUTH_JWT_SECRET")
      c.auth.jwt_secret = v;
    else if (k == "AUTH_JWT_KEY_FILE")
      c.auth.jwt_key_file = v;
    else if (k == "AUTH_JWT_AUDIENCE")
      c.auth.jwt_audience = v;
    else if (k == "AUTH_JWT_ISSUER")
      c.auth.jwt_issuer = v;
    else if (k == "API_KEYS")
      c.api.keys = split_list(v);
    else if (k == "SSE_HEARTBEAT_MS")
      c.sse.heartbeat_ms = static_cast<uint32_t>(env_int(var, v, 0, kMaxMs));
    else if (k == "SSE_RETRY_MS")
      c.sse.retry_ms = static_cast<uint32_t>(env_int(var, v, 0, kMaxMs));
    else if (k == "SSE_HISTORY_SIZE")
      c.sse.history_size = static_cast<uint32_t>(env_int(var, v, 0, 1000000));
    else if (k == "SSE_MAX_TOPICS")
      c.sse.max_topics = static_cast<uint32_t>(env_int(var, v, 1, 1000));
    else if (k == "SSE_MAX_BUFFER_BYTES")
      c.sse.max_buffer_bytes = static_cast<uint64_t>(env_int(var, v, 1024, 1LL << 32));
    else if (k == "SSE_MAX_STREAMS")
      c.sse.max_streams = static_cast<uint32_t>(env_int(var, v, 1, 10000000));
    else if (k == "SSE_USER_STREAMS")
      c.sse.user_streams = env_bool(var, v);
    else if (k == "SSE_CORS_ORIGINS") {
      c.sse.cors_origins = split_list(v);
      c.sse.cors_origins_set = true;
    } else if (k == "DASHBOARD_ENABLED")
      c.dashboard.enabled = env_bool(var, v);
    else if (k == "DASHBOARD_AUTH")
      c.dashboard.auth = v;
    else if (k == "DASHBOARD_METRICS_INTERVAL_MS")
      c.dashboard.metrics_interval_ms = static_cast<uint32_t>(env_int(var, v, 50, kMaxMs));
    else if (k == "DASHBOARD_METRICS_HISTORY")
      c.dashboard.metrics_history = static_cast<uint32_t>(env_int(var, v, 0, 100000));
    else if (k == "DASHBOARD_LOGS_HISTORY")
      c.dashboard.logs_history = static_cast<uint32_t>(env_int(var, v, 0, 100000));
    else if (k == "LOG_LEVEL")
      c.log.level = v;
    else if (k == "LOG_FORMAT")
      c.log.format = v;
    else
      fail("unknown environment variable " + var);
  }
}

void validate(const Config& c) {
  const auto& a = c.auth;
  if (a.jwt_algorithm != "HS256" && a.jwt_algorithm != "RS256" && a.jwt_algorithm != "ES256")
    fail("auth.jwt_algorithm: expected HS256, RS256 or ES256, got \"" + a.jwt_algorithm + "\"");
  if (!a.allow_anonymous && a.jwt_secret.empty() && a.jwt_key_file.empty())
    fail(
        "auth: anonymous clients are refused but no JWT key is configured (set auth.jwt_secret "
        "or auth.jwt_key_file, or auth.allow_anonymous = true)");
  if (a.jwt_algorithm != "HS256" && !a.jwt_secret.empty() && a.jwt_key_file.empty())
    fail("auth.jwt_key_file: " + a.jwt_algorithm + " needs a PEM public key file");
  if (!a.jwt_key_file.empty() && !std::ifstream(a.jwt_key_file))
    fail("auth.jwt_key_file: cannot read \"" + a.jwt_key_file + "\"");
  std::set<std::string> names;
  for (size_t i = 0; i < c.socketio.namespaces.size(); ++i) {
    const auto& n = c.socketio.namespaces[i].name;
    const std::string w = "socketio.namespaces[" + std::to_string(i) + "].name";
    if (n.empty() || n[0] != '/') fail(w + ": must start with '/'");
    if (!names.insert(n).second) fail(w + ": namespace \"" + n + "\" is declared twice");
  }
  auto path_ok = [](const std::string& p) {
    return p.size() >= 2 && p.front() == '/' && p.back() == '/';
  };
  if (!path_ok(c.socketio.path)) fail("socketio.path: must start and end with '/'");
  if (!c.echo.path.empty() && !path_ok(c.echo.path)) fail("echo.path: must start and end with '/'");
  if (c.echo.path == c.socketio.path) fail("echo.path: must differ from socketio.path");
  {
    intra::StreamCatalog catalog;
    for (size_t i = 0; i < c.sse.streams.size(); ++i) {
      const auto& sc = c.sse.streams[i];
      const std::string w = "sse.streams[" + std::to_string(i) + "]";
      auto access = intra::parse_access(sc.access);
      if (!access || *access == intra::Access::Dashboard)
        fail(w + ".access: expected public, authenticated or user, got \"" + sc.access + "\"");
      if (sc.name == "logs" || sc.name == "metrics")
        fail(w + ".name: \"" + sc.name + "\" is a built-in stream (see [dashboard])");
      if (c.sse.user_streams && sc.name == "user:*")
        fail(w + ".name: \"user:*\" is built in (sse.user_streams)");
      try {
        catalog.add(intra::StreamRule{sc.name, *access, 0});
      } catch (const std::invalid_argument& e) {
        fail(w + ".name: " + e.what());
      }
    }
  }
  if (c.tls.enabled) {
    // The files themselves are loaded (and checked to match) when the server starts.
    if (c.tls.cert.empty() || c.tls.key.empty())
      fail("tls: enabled but tls.cert or tls.key is not set");
    if (c.tls.port != 0 && c.tls.port == c.server.port)
      fail("tls.port: must differ from server.port");
  }
  if (c.dashboard.auth != "api_key" && c.dashboard.auth != "none")
    fail("dashboard.auth: expected api_key or none, got \"" + c.dashboard.auth + "\"");
  std::set<std::string> broker_names;
  for (size_t i = 0; i < c.brokers.size(); ++i) {
    const auto& b = c.brokers[i];
    const std::string w = "brokers[" + std::to_string(i) + "]";
    static const std::set<std::string> kinds = {"memory", "redis", "nats", "kafka"};
    if (!kinds.count(b.kind))
      fail(w + ".kind: expected memory, redis, nats or kafka, got \"" + b.kind + "\"");
    if (b.codec != "nest" && b.codec != "json")
      fail(w + ".codec: expected nest or json, got \"" + b.codec + "\"");
    if (b.name.empty()) fail(w + ".name: must not be empty");
    if (!broker_names.insert(b.name).second)
      fail(w + ".name: \"" + b.name + "\" is used by another broker");
    if (!b.emitter_prefix.empty() && b.kind != "redis")
      fail(w + ".emitter_prefix: the Socket.IO emitter speaks Redis only");
    if (b.kind == "kafka" && b.url.empty())
      fail(w + ".url: a Kafka broker needs bootstrap servers");
  }
  for (size_t i = 0; i < c.routes.size(); ++i) {
    const auto& r = c.routes[i];
    try {
      hub::RouteTable::check(hub::RouteSpec{r.from, r.to, r.event, r.nsp, r.broker, r.reply,
                                            r.include_sender, r.store, r.deliver_missed});
    } catch (const std::invalid_argument& e) {
      fail("routes[" + std::to_string(i) + "]." + e.what());
    }
    if (!r.broker.empty() && !broker_names.count(r.broker) &&
        !(c.brokers.empty() && r.broker == "memory"))
      fail("routes[" + std::to_string(i) + "].broker: no broker named \"" + r.broker + "\"");
    if (r.from.rfind("client:", 0) == 0) {
      bool declared = false;
      for (auto& n : c.socketio.namespaces) declared = declared || n.name == r.nsp;
      if (!declared)
        fail("routes[" + std::to_string(i) + "].namespace: \"" + r.nsp +
             "\" is not a declared Socket.IO namespace");
    }
    bool nsp_known = false;
    for (auto& n : c.socketio.namespaces) nsp_known = nsp_known || n.name == r.nsp;
    for (auto& t : r.to)
      if ((t.rfind("room:", 0) == 0 || t.rfind("user:", 0) == 0) && !nsp_known)
        fail("routes[" + std::to_string(i) + "].namespace: \"" + r.nsp +
             "\" is not a declared Socket.IO namespace");
  }
  for (size_t i = 0; i < c.routes.size(); ++i) {
    const auto& r = c.routes[i];
    const std::string w = "routes[" + std::to_string(i) + "]";
    if (!r.store.value_or(false) && !r.deliver_missed) continue;
    bool user_target = false;
    for (auto& t : r.to) user_target = user_target || t.rfind("user:", 0) == 0;
    if (!user_target) fail(w + ".store: only user:<id> targets have an inbox");
    if (r.store.value_or(false) && !c.inbox.enabled)
      fail(w + ".store: the inbox is off (set [inbox] enabled = true)");
    if (r.store.value_or(false) && r.nsp != "/")
      fail(w + ".store: the inbox serves the \"/\" namespace only");
  }
  if (c.inbox.store != "sqlite" && c.inbox.store != "redis")
    fail("inbox.store: expected \"sqlite\" or \"redis\", got \"" + c.inbox.store + "\"");
  if (c.inbox.enabled && c.inbox.store == "sqlite" && c.inbox.path.empty())
    fail("inbox.path: a file name is needed");
  if (c.inbox.enabled && c.inbox.store == "redis" && c.inbox.key_prefix.empty())
    fail("inbox.key_prefix: a prefix is needed (other data may share the database)");
  if (c.cluster.enabled) {
    if (c.cluster.broker.empty())
      fail("cluster.broker: name the [[brokers]] entry (redis or nats) the nodes share");
    const BrokerConfig* cb = nullptr;
    for (auto& b : c.brokers)
      if (b.name == c.cluster.broker) cb = &b;
    if (!cb) fail("cluster.broker: no broker named \"" + c.cluster.broker + "\"");
    if (cb->kind != "redis" && cb->kind != "nats")
      fail("cluster.broker: \"" + cb->name + "\" is a " + cb->kind +
           " broker; the cluster needs redis or nats");
    const auto scheme = cb->kind == "redis" ? inter_service::ClusterScheme::redis
                                            : inter_service::ClusterScheme::nats;
    if (auto why = inter_service::ClusterChannels::check_prefix(scheme, c.cluster.prefix);
        !why.empty())
      fail("cluster.prefix: " + why);
    if (c.cluster.node_timeout_ms <= c.cluster.heartbeat_ms)
      fail("cluster.node_timeout_ms: must be longer than cluster.heartbeat_ms (about 3 periods)");
  }
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(c.log.level)) fail("log.level: expected trace|debug|info|warn|error|off");
  if (c.log.format != "auto" && c.log.format != "json" && c.log.format != "text")
    fail("log.format: expected auto|json|text");
}

namespace {

// A TOML basic string. Control characters must be escaped there (found by
// tests/fuzz: a "\n" in a value printed a config that did not parse).
std::string q(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string list(const std::vector<std::string>& v, bool mask = false) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + q(mask ? "***" : v[i]);
  return out + "]";
}

std::string secret(const std::string& s) {
  return q(s.empty() ? "" : "***");
}

// librdkafka properties that hold credentials (sasl.password,
// sasl.oauthbearer.client.secret, ssl.key.pem, ...): masked when printed.
bool secret_option(const std::string& key) {
  for (const char* word : {"password", "secret", "key", "token", "pem", "credential"})
    if (key.find(word) != std::string::npos) return true;
  return false;
}

// redis://user:secret@host -> redis://user:***@host (each URL of a list).
std::string mask_url(const std::string& url) {
  std::string out;
  size_t start = 0;
  while (start <= url.size()) {
    size_t end = url.find(',', start);
    std::string one = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t scheme = one.find("://");
    const size_t at = one.rfind('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      const size_t colon = one.find(':', scheme + 3);
      const size_t from = colon != std::string::npos && colon < at ? colon + 1 : scheme + 3;
      one = one.substr(0, from) + "***" + one.substr(at);
    }
    out += (out.empty() && start == 0 ? "" : ",") + one;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string to_toml(const Config& c) {
  std::ostringstream o;
  o << "[server]\nhost = " << q(c.server.host) << "\nport = " << c.server.port
    << "\nworkers = " << c.server.workers << "\nmax_header_bytes = " << c.server.max_header_bytes
    << "\nshutdown_timeout_ms = " << c.server.shutdown_timeout_ms << "\n\n[limits]";
  for (auto& lk : kLimitKeys) o << "\n" << lk.key << " = " << get_limit(c.limits, lk);
  o << "\n\n[engineio]\nping_interval_ms = " << c.engineio.ping_interval_ms
    << "\nping_timeout_ms = " << c.engineio.ping_timeout_ms
    << "\nupgrade_timeout_ms = " << c.engineio.upgrade_timeout_ms
    << "\nmax_payload = " << c.engineio.max_payload
    << "\ntransports = " << list(c.engineio.transports)
    << "\ncors_origins = " << list(c.engineio.cors_origins)
    << "\ncors_credentials = " << (c.engineio.cors_credentials ? "true" : "false")
    << "\nallowed_origins = " << list(c.engineio.allowed_origins)
    << "\n\n[socketio]\npath = " << q(c.socketio.path)
    << "\nconnect_timeout_ms = " << c.socketio.connect_timeout_ms
    << "\nack_timeout_ms = " << c.socketio.ack_timeout_ms
    << "\nmax_attachments = " << c.socketio.max_attachments
    << "\n\n[socketio.recovery]\nenabled = " << (c.socketio.recovery.enabled ? "true" : "false")
    << "\nmax_disconnection_ms = " << c.socketio.recovery.max_disconnection_ms
    << "\nmax_packets = " << c.socketio.recovery.max_packets << "\n";
  for (auto& n : c.socketio.namespaces) {
    o << "\n[[socketio.namespaces]]\nname = " << q(n.name) << "\n";
    if (!n.on_connect.empty()) o << "on_connect = " << q(n.on_connect) << "\n";
    if (!n.events.empty()) {
      o << "[socketio.namespaces.events]\n";
      for (auto& e : n.events) o << q(e.event) << " = " << q(e.handler) << "\n";
    }
  }
  o << "\n[tls]\nenabled = " << (c.tls.enabled ? "true" : "false") << "\nport = " << c.tls.port
    << "\ncert = " << q(c.tls.cert) << "\nkey = " << q(c.tls.key) << "\n";
  o << "\n[echo]\npath = " << q(c.echo.path)
    << "\n\n[auth]\nallow_anonymous = " << (c.auth.allow_anonymous ? "true" : "false")
    << "\njwt_algorithm = " << q(c.auth.jwt_algorithm)
    << "\njwt_secret = " << secret(c.auth.jwt_secret)
    << "\njwt_key_file = " << q(c.auth.jwt_key_file)
    << "\njwt_audience = " << q(c.auth.jwt_audience) << "\njwt_issuer = " << q(c.auth.jwt_issuer)
    << "\n\n[api]\nkeys = " << list(c.api.keys, true) << "\n\n[log]\nlevel = " << q(c.log.level)
    << "\nformat = " << q(c.log.format) << "\n";
  const auto& e = c.sse;
  o << "\n[sse]\nheartbeat_ms = " << e.heartbeat_ms << "\nretry_ms = " << e.retry_ms
    << "\nhistory_size = " << e.history_size << "\nmax_topics = " << e.max_topics
    << "\nmax_buffer_bytes = " << e.max_buffer_bytes << "\nmax_streams = " << e.max_streams
    << "\nuser_streams = " << (e.user_streams ? "true" : "false") << "\n";
  if (e.cors_origins_set) o << "cors_origins = " << list(e.cors_origins) << "\n";
  for (auto& s : e.streams) {
    o << "\n[[sse.streams]]\nname = " << q(s.name) << "\naccess = " << q(s.access) << "\n";
    if (s.history_size >= 0) o << "history_size = " << s.history_size << "\n";
  }
  const auto& d = c.dashboard;
  o << "\n[dashboard]\nenabled = " << (d.enabled ? "true" : "false") << "\nauth = " << q(d.auth)
    << "\nmetrics_interval_ms = " << d.metrics_interval_ms
    << "\nmetrics_history = " << d.metrics_history << "\nlogs_history = " << d.logs_history << "\n";
  for (auto& r : c.routes) {
    o << "\n[[routes]]\nfrom = " << q(r.from) << "\nto = " << list(r.to) << "\n";
    if (!r.event.empty()) o << "event = " << q(r.event) << "\n";
    o << "namespace = " << q(r.nsp) << "\n";
    if (!r.broker.empty()) o << "broker = " << q(r.broker) << "\n";
    if (r.reply) o << "reply = true\n";
    if (r.include_sender) o << "include_sender = true\n";
    if (r.store) o << "store = " << (*r.store ? "true" : "false") << "\n";
    if (r.deliver_missed)
      o << "deliver_missed = " << (*r.deliver_missed ? "true" : "false") << "\n";
  }
  for (auto& b : c.brokers) {
    o << "\n[[brokers]]\nname = " << q(b.name) << "\nkind = " << q(b.kind)
      << "\nurl = " << q(mask_url(b.url)) << "\ncodec = " << q(b.codec) << "\nbus = " << list(b.bus)
      << "\nrequired = " << (b.required ? "true" : "false")
      << "\nemitter_prefix = " << q(b.emitter_prefix)
      << "\nrequest_timeout_ms = " << b.request_timeout_ms
      << "\nmax_queued_publishes = " << b.max_queued_publishes << "\n";
    if (!b.group_id.empty()) o << "group_id = " << q(b.group_id) << "\n";
    if (!b.options.empty()) {
      o << "[brokers.options]\n";
      for (auto& [k, v] : b.options) o << q(k) << " = " << q(secret_option(k) ? "***" : v) << "\n";
    }
  }
  o << "\n[cluster]\nenabled = " << (c.cluster.enabled ? "true" : "false")
    << "\nbroker = " << q(c.cluster.broker) << "\nprefix = " << q(c.cluster.prefix)
    << "\nheartbeat_ms = " << c.cluster.heartbeat_ms
    << "\nnode_timeout_ms = " << c.cluster.node_timeout_ms
    << "\nrequest_timeout_ms = " << c.cluster.request_timeout_ms
    << "\npresence_events = " << (c.cluster.presence_events ? "true" : "false")
    << "\nheartbeat_chunk_users = " << c.cluster.heartbeat_chunk_users << "\n";
  const auto& in = c.inbox;
  o << "\n[inbox]\nenabled = " << (in.enabled ? "true" : "false") << "\nstore = " << q(in.store)
    << "\npath = " << q(in.path) << "\nredis_url = " << q(mask_url(in.redis_url))
    << "\nkey_prefix = " << q(in.key_prefix)
    << "\nstore_by_default = " << (in.store_by_default ? "true" : "false")
    << "\ndeliver_missed = " << (in.deliver_missed ? "true" : "false")
    << "\nmax_age_s = " << in.max_age_s << "\nmax_per_user = " << in.max_per_user
    << "\nprune_interval_s = " << in.prune_interval_s
    << "\nmax_missed_push = " << in.max_missed_push << "\nmax_page = " << in.max_page << "\n";
  return o.str();
}

}  // namespace sb
