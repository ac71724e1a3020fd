#pragma once
// The SSE gateway: the streams and their histories, the HTTP endpoint
// (GET /sse/<stream>, GET /sse?topic=a&topic=b), auth, resume, heartbeats,
// and publishing (C++ API; HTTP and the bus go through it too).
//
// Fan-out follows SioServer: an event is encoded once into a shared buffer
// (SseMessage), posted to each worker that has subscribers of its stream, and
// each worker writes it to its own connections (per-worker shards, no lock on
// the delivery path).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateways/client/cors_policy.hpp"
#include "gateways/intra_service/sse_message.hpp"
#include "gateways/intra_service/stream_catalog.hpp"
#include "hub/log_limiter.hpp"

namespace sb {
class JwtVerifier;
class KeyRing;
}  // namespace sb
namespace sb::net {
class Worker;
class HttpConnection;
struct HttpRequest;
}  // namespace sb::net

namespace sb::intra {

class SseStream;
class SseConnection;

struct SseOptions {
  uint32_t heartbeat_ms = 15000;                 // comment line on connections idle this long
  uint32_t retry_ms = 3000;                      // reconnection delay told to clients
  size_t max_topics = 16;                        // streams per connection
  uint64_t max_buffer_bytes = 16 * 1024 * 1024;  // unsent bytes per connection before disconnect
  size_t max_streams = 10000;  // streams alive at once (family members are created on use)
};

struct SseCounters {
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> connections_opened{0};
  std::atomic<uint64_t> refused{0};         // requests answered with an HTTP error
  std::atomic<uint64_t> slow_consumers{0};  // connections cut for not reading
  std::atomic<uint64_t> resets{0};          // `reset` events sent (resume impossible)
};

// Per-worker figures, read on that worker (metrics).
struct SseWorkerStats {
  size_t connections = 0;
  uint64_t delivered = 0;  // events written, cumulative
};

struct StreamInfo {
  std::string name;
  std::string access;
  uint64_t last_seq = 0;
  size_t history = 0;
  size_t subscribers = 0;
};

class SseServer {
 public:
  // Decides Access::Dashboard streams (the dashboard's key check).
  using Guard = std::function<bool(const net::HttpRequest&)>;
  // SIGHUP: the verifier is read from `ring` on each request (set before start).
  void set_key_ring(std::shared_ptr<const KeyRing> ring) { key_ring_ = std::move(ring); }

  SseServer(std::vector<net::Worker*> workers, SseOptions options, StreamCatalog catalog,
            std::shared_ptr<const JwtVerifier> verifier, CorsPolicy cors, Guard dashboard_guard);
  ~SseServer();
  SseServer(const SseServer&) = delete;
  SseServer& operator=(const SseServer&) = delete;

  // Arms each worker's heartbeat (call once, before or after the workers run).
  void start();

  // GET/OPTIONS under /sse (on the connection's worker).
  void handle(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req);

  struct Published {
    bool ok = false;
    int status = 200;  // HTTP status for the API when !ok
    std::string code;  // "unknown_stream", "invalid_stream", "invalid_event", "too_many_streams"
    std::string message;
    std::string id;  // "<epoch>-<seq>" when ok
  };
  // Publishes to a stream (declared, or a member of a declared family).
  // `data` is sent as is (split into data: lines); `level` >= 0 marks a log
  // record for ?level= filtering. Thread-safe.
  Published publish(std::string_view stream, std::string_view event, std::string_view data,
                    int level = -1);

  struct History {
    bool ok = false;
    int status = 200;  // HTTP status for the API when !ok
    std::string code;  // "invalid_stream", "unknown_stream"
    std::string message;
    size_t kept = 0;                    // history size of the stream's rule
    uint64_t last_seq = 0;              // 0: nothing published yet
    std::vector<SseMessagePtr> events;  // oldest first
  };
  // The last `limit` events kept for a stream (declared, or a member of a
  // declared family; one never published to has none). Thread-safe.
  History history(std::string_view stream, size_t limit) const;

  // Closes this worker's connections (shutdown). On that worker.
  void close_all(unsigned worker, const char* reason);
  SseWorkerStats worker_stats(unsigned worker) const;  // on that worker
  std::vector<StreamInfo> streams() const;

  uint64_t epoch() const { return epoch_; }
  const SseCounters& counters() const { return counters_; }
  const SseOptions& options() const { return options_; }
  const StreamCatalog& catalog() const { return catalog_; }

 private:
  struct Sub {
    SseConnection* conn;
    uint32_t topic;
  };
  struct Shard {
    std::unordered_map<SseStream*, std::vector<Sub>> subs;
    std::vector<std::shared_ptr<SseConnection>> conns;
    uint64_t delivered = 0;
  };

  SseStream* get_or_create(std::string_view name, const StreamRule& rule, bool& too_many);
  void deliver_local(unsigned worker, SseStream* s, const SseMessagePtr& m);
  void remove(unsigned worker, SseConnection* c, const char* reason);
  void heartbeat(unsigned worker);

  std::vector<net::Worker*> workers_;
  SseOptions options_;
  StreamCatalog catalog_;
  std::shared_ptr<const JwtVerifier> verifier_;
  std::shared_ptr<const KeyRing> key_ring_;  // when set, its verifier is the one in force
  CorsPolicy cors_;
  Guard dashboard_guard_;
  uint64_t epoch_;
  std::atomic<uint64_t> order_{0};
  mutable std::shared_mutex streams_mu_;
  std::unordered_map<std::string, std::unique_ptr<SseStream>> streams_;
  std::vector<Shard> shards_;
  std::shared_ptr<const std::string> heartbeat_bytes_;
  SseCounters counters_;
  hub::LogLimiter log_limiter_;
};

}  // namespace sb::intra
