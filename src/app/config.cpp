#include "app/config.hpp"

#include <toml++/toml.h>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

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
  check_keys(root, "", {"server", "engineio", "socketio", "echo", "auth", "api", "log"});
  Config c;
  if (auto* t = section(root, "server")) {
    check_keys(*t, "server", {"host", "port", "workers", "max_header_bytes"});
    c.server.host = get_string(*t, "server", "host", c.server.host);
    c.server.port = static_cast<uint16_t>(get_int(*t, "server", "port", c.server.port, 0, 65535));
    c.server.workers = static_cast<unsigned>(get_int(*t, "server", "workers", 0, 0, 4096));
    c.server.max_header_bytes = static_cast<size_t>(
        get_int(*t, "server", "max_header_bytes", c.server.max_header_bytes, 1024, 1 << 20));
  }
  if (auto* t = section(root, "engineio")) {
    const std::string w = "engineio";
    check_keys(*t, w,
               {"ping_interval_ms", "ping_timeout_ms", "upgrade_timeout_ms", "max_payload",
                "transports", "cors_origins", "cors_credentials"});
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

}  // namespace

void apply_env_overrides(Config& c, const std::map<std::string, std::string>& env) {
  for (auto& [var, v] : env) {
    if (var.rfind("SWITCHBOARD_", 0) != 0) continue;
    const std::string k = var.substr(12);
    if (k == "BIN" || k == "CONFIG") continue;  // used by tooling, not config keys
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
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(c.log.level)) fail("log.level: expected trace|debug|info|warn|error|off");
  if (c.log.format != "auto" && c.log.format != "json" && c.log.format != "text")
    fail("log.format: expected auto|json|text");
}

namespace {

std::string q(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
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

}  // namespace

std::string to_toml(const Config& c) {
  std::ostringstream o;
  o << "[server]\nhost = " << q(c.server.host) << "\nport = " << c.server.port
    << "\nworkers = " << c.server.workers << "\nmax_header_bytes = " << c.server.max_header_bytes
    << "\n\n[engineio]\nping_interval_ms = " << c.engineio.ping_interval_ms
    << "\nping_timeout_ms = " << c.engineio.ping_timeout_ms
    << "\nupgrade_timeout_ms = " << c.engineio.upgrade_timeout_ms
    << "\nmax_payload = " << c.engineio.max_payload
    << "\ntransports = " << list(c.engineio.transports)
    << "\ncors_origins = " << list(c.engineio.cors_origins)
    << "\ncors_credentials = " << (c.engineio.cors_credentials ? "true" : "false")
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
  o << "\n[echo]\npath = " << q(c.echo.path)
    << "\n\n[auth]\nallow_anonymous = " << (c.auth.allow_anonymous ? "true" : "false")
    << "\njwt_algorithm = " << q(c.auth.jwt_algorithm)
    << "\njwt_secret = " << secret(c.auth.jwt_secret)
    << "\njwt_key_file = " << q(c.auth.jwt_key_file)
    << "\njwt_audience = " << q(c.auth.jwt_audience) << "\njwt_issuer = " << q(c.auth.jwt_issuer)
    << "\n\n[api]\nkeys = " << list(c.api.keys, true) << "\n\n[log]\nlevel = " << q(c.log.level)
    << "\nformat = " << q(c.log.format) << "\n";
  return o.str();
}

}  // namespace sb
