#pragma once
// The effective configuration: embedded defaults, then the TOML file, then
// SWITCHBOARD_<SECTION>_<KEY> environment variables, then CLI flags.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb {

struct EventBinding {
  std::string event;    // client event name
  std::string handler;  // registry name, e.g. "echo:message-back", "ack"
};

struct NamespaceConfig {
  std::string name = "/";
  std::string on_connect;  // registry name of a connection hook, e.g. "emit_auth"
  std::vector<EventBinding> events;
};

// [[sse.streams]]: a stream ("news") or a family of streams ("orders:*").
struct SseStreamConfig {
  std::string name;
  std::string access = "public";  // public | authenticated | user (families only)
  int64_t history_size = -1;      // events kept for resume; -1 = sse.history_size
};

// [[routes]]: a bus event (or broker topic) to targets; see hub/route_table.hpp.
struct RouteConfig {
  std::string from;             // "inbox.*", "bus:inbox.*", "broker:user.created"
  std::vector<std::string> to;  // "sse:<stream>", "room:<room>", "user:<id>", "broker:<topic>"
  std::string event;            // event name at the target; empty = the source event's name
  std::string nsp = "/";        // Socket.IO namespace of room/user targets (key "namespace")
  std::string broker;           // broker of broker:<...> sources and targets; empty = the first
  bool reply = false;           // client:<event> -> broker:<topic>: the reply is the client's ack
  bool include_sender = false;  // client:<event>: data = {user, socket, data}
  std::optional<bool> store = std::nullopt;  // user targets: keep in the inbox; unset = default
  std::optional<bool> deliver_missed = std::nullopt;  // stored: push on next connect
};

// [[brokers]]: an inter-service broker (none configured: one in-memory broker
// named "memory"). See gateways/inter_service/broker_factory.hpp for URLs.
struct BrokerConfig {
  std::string name;              // routes name it (broker = "..."); default: the kind
  std::string kind = "memory";   // memory | redis | nats | kafka
  std::string url;               // redis://host:port, nats://host:port, kafka host:port,...
  std::string codec = "nest";    // nest (NestJS microservices packets) | json
  std::vector<std::string> bus;  // topic patterns forwarded to the event bus
  bool required = true;          // /readyz answers 503 while it is down
  std::string emitter_prefix;    // redis: take @socket.io/redis-emitter messages ("socket.io")
  uint32_t request_timeout_ms = 5000;
  uint64_t max_queued_publishes = 10000;       // buffered while down; more are refused
  std::string group_id;                        // kafka consumer group
  std::map<std::string, std::string> options;  // kafka: extra librdkafka properties
};

struct Config {
  struct Server {
    std::string host = "0.0.0.0";
    uint16_t port = 3000;
    unsigned workers = 0;  // 0 = one per core
    size_t max_header_bytes = 16 * 1024;
    uint32_t shutdown_timeout_ms = 10000;  // SIGTERM: drain for at most this long, then exit
  } server;

  // [limits]: what one client, one address or everyone together may take.
  // 0 turns a limit off. What each refusal looks like: README.md, "Limits".
  struct Limits {
    uint32_t max_connections = 100000;       // Engine.IO sessions on this node (HTTP 503)
    uint32_t max_connections_per_ip = 1000;  // sessions from one address (HTTP 429)
    uint32_t handshakes_per_second = 100;    // new sessions per second per address (HTTP 429)
    uint32_t handshake_burst = 500;          // ... of which this many at once
    uint32_t events_per_second = 500;        // Socket.IO events per second per socket
    uint32_t event_burst = 1000;             // ... of which this many at once
    uint32_t max_rooms_per_socket = 1000;    // joins beyond: refused
    uint32_t max_name_bytes = 256;           // event and room names
    uint32_t max_pending_acks = 1000;        // server emits awaiting the client's ack, per socket
    uint64_t max_outbound_bytes = 16 * 1024 * 1024;  // unsent bytes per connection (slow consumer)
  } limits;

  struct EngineIO {
    uint32_t ping_interval_ms = 25000;
    uint32_t ping_timeout_ms = 20000;
    uint32_t upgrade_timeout_ms = 10000;
    uint64_t max_payload = 1000000;
    std::vector<std::string> transports = {"polling", "websocket"};
    std::vector<std::string> cors_origins;  // empty = no CORS headers; "*" = any
    bool cors_credentials = false;
    // Origins whose browsers may use Socket.IO (checked on every request that
    // sends an Origin header: WebSocket handshakes too, which CORS does not
    // cover); others get 403. Empty = any; "*" = any.
    std::vector<std::string> allowed_origins;
  } engineio;

  struct SocketIO {
    std::string path = "/socket.io/";
    uint32_t connect_timeout_ms = 45000;
    uint32_t ack_timeout_ms = 10000;
    uint32_t max_attachments = 10;
    std::vector<NamespaceConfig> namespaces = {NamespaceConfig{}};
    // Connection state recovery (Socket.IO 4.6+). Off by default: the CONNECT reply
    // then has only `sid`, as the official test suite expects.
    struct Recovery {
      bool enabled = false;
      uint32_t max_disconnection_ms = 120000;
      uint32_t max_packets = 10000;
    } recovery;
  } socketio;

  // HTTPS / WSS on a second port (src/net/tls_terminator.hpp); plain HTTP
  // stays on server.port. cert and key are PEM files, read again on SIGHUP.
  struct Tls {
    bool enabled = false;
    uint16_t port = 0;  // 0 = no TLS listener
    std::string cert;   // certificate chain, leaf first
    std::string key;    // private key (unencrypted)
  } tls;

  struct Echo {
    std::string path;  // raw Engine.IO echo endpoint (official test suite); empty = off
  } echo;

  struct Auth {
    bool allow_anonymous = false;
    std::string jwt_algorithm = "HS256";  // HS256 | RS256 | ES256
    std::string jwt_secret;               // HS256 key
    std::string jwt_key_file;             // PEM public key (RS256/ES256) or secret file (HS256)
    std::string jwt_audience;             // checked when set
    std::string jwt_issuer;               // checked when set
  } auth;

  struct Api {
    std::vector<std::string> keys;  // API keys for /api/*; empty = API disabled
  } api;

  struct Sse {
    uint32_t heartbeat_ms = 15000;  // comment line on idle connections; 0 = none
    uint32_t retry_ms = 3000;       // reconnection delay sent to clients
    uint32_t history_size = 1000;   // events kept per stream for Last-Event-ID resume
    uint32_t max_topics = 16;       // streams per connection
    uint64_t max_buffer_bytes = 16 * 1024 * 1024;  // unsent bytes per connection before disconnect
    uint32_t max_streams = 10000;                  // streams alive at once (family members count)
    bool user_streams = true;  // the "user:<id>" family, readable by that user's JWT only
    std::vector<std::string> cors_origins;  // like engineio.cors_origins
    bool cors_origins_set = false;          // unset: engineio.cors_origins applies
    std::vector<SseStreamConfig> streams;
  } sse;

  struct Dashboard {
    bool enabled = true;                  // /dashboard and the `logs` / `metrics` streams
    std::string auth = "api_key";         // api_key (one of api.keys, ?key= or X-API-Key) | none
    uint32_t metrics_interval_ms = 1000;  // `metrics` stream period
    uint32_t metrics_history = 300;       // snapshots kept (the dashboard's chart on open)
    uint32_t logs_history = 500;          // log records kept
  } dashboard;

  std::vector<RouteConfig> routes;
  std::vector<BrokerConfig> brokers;

  // Several nodes share rooms through one of the [[brokers]] (redis or nats):
  // every broadcast goes once to the broker, each node delivers to its own
  // members (see src/gateways/inter_service/README.md, "Cluster").
  struct Cluster {
    bool enabled = false;
    std::string broker;                     // name of a [[brokers]] entry of kind redis or nats
    std::string prefix = "socket.io";       // channel prefix (the Socket.IO Redis adapter's `key`)
    uint32_t heartbeat_ms = 2000;           // presence heartbeat period
    uint32_t node_timeout_ms = 6000;        // a node silent this long is dropped from presence
    uint32_t request_timeout_ms = 5000;     // cluster-wide fetchSockets / serverSideEmit answers
    bool presence_events = false;           // bus events presence.online / presence.offline
    uint32_t heartbeat_chunk_users = 5000;  // users per heartbeat message at most
  } cluster;

  // The notification inbox (src/store, src/gateways/client/inbox_service.hpp).
  struct Inbox {
    bool enabled = false;
    std::string store = "sqlite";             // sqlite (one node) | redis (shared by a cluster)
    std::string path = "data/inbox.sqlite3";  // SQLite file, relative to the working directory
    std::string redis_url = "redis://127.0.0.1:6379/0";  // store = "redis": the server, /db
    std::string key_prefix = "switchboard:inbox:";       // store = "redis": every key under it
    bool store_by_default = false;  // notifications to users are stored unless the call says no
    bool deliver_missed = true;     // stored ones reach an offline user on the next connect
    uint32_t max_age_s = 30 * 24 * 3600;  // retention by age; 0 = none
    uint32_t max_per_user = 1000;         // retention by count, newest kept; 0 = none
    uint32_t prune_interval_s = 60;       // how often retention runs over the whole file
    uint32_t max_missed_push = 1000;      // pushed per connect
    uint32_t max_page = 200;              // get_notifications `limit` bound
  } inbox;

  struct Log {
    std::string level = "info";   // trace|debug|info|warn|error|off
    std::string format = "auto";  // auto|json|text
  } log;
};

// Thrown for any invalid config; what() names the key, e.g.
// "server.port: expected an integer in 1..65535, got \"abc\"".
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses TOML text (file name only for messages). Unknown keys are errors.
Config parse_config(const std::string& toml_text, const std::string& source_name);

// Applies SWITCHBOARD_<SECTION>_<KEY> variables from `env` (name -> value).
void apply_env_overrides(Config& cfg, const std::map<std::string, std::string>& env);

// Cross-field checks (key files exist, algorithm known, namespaces start with '/', ...).
void validate(const Config& cfg);

// TOML text of the effective config with secrets masked ("***").
std::string to_toml(const Config& cfg);

}  // namespace sb
