#pragma once
// Gathers a snapshot of the server: each worker reports its own figures on
// its own thread (no locks on the gateways' data), the last one to answer
// completes the snapshot with the global counters. Feeds the `metrics` SSE
// stream (every interval) and GET /metrics (Prometheus text).
#include <boost/json/array.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateways/intra_service/sse_server.hpp"

namespace sb::net {
class Worker;
}
namespace sb::hub {
class RouteTable;
}

namespace sb::intra {

class EventBus;

struct WorkerSnapshot {
  unsigned index = 0;
  double loop_lag_ms = 0;  // from posting the probe to it running: how busy the loop is
  size_t polling = 0;      // Engine.IO sessions by transport
  size_t websocket = 0;
  size_t sse = 0;
  uint64_t events_in = 0;   // Socket.IO events received (cumulative)
  uint64_t events_out = 0;  // Socket.IO packets sent (cumulative)
  uint64_t sse_delivered = 0;
  uint64_t outbound_bytes = 0;  // queued and unsent on this worker's WebSocket connections
  std::map<std::string, size_t> sockets;                        // by namespace
  std::map<std::pair<std::string, std::string>, size_t> rooms;  // (namespace, room) -> members
};

struct MetricsSnapshot {
  uint64_t time_ms = 0;  // wall clock
  uint64_t uptime_s = 0;
  std::vector<WorkerSnapshot> workers;
  size_t namespaces = 0;
  std::vector<StreamInfo> streams;
  uint64_t sse_published = 0, sse_opened = 0, sse_refused = 0, sse_slow = 0, sse_resets = 0;
  uint64_t bus_emitted = 0, bus_delivered = 0, bus_errors = 0, bus_unhandled = 0;
  uint64_t routes_matched = 0, routes_delivered = 0, routes_failed = 0;
  boost::json::array brokers;  // [{name, status}] from the broker probe; empty = none configured
  // net::overload_counters(): refusals by limit (indexed by net::Limit), accept
  // pauses, slow consumers cut, volatile packets dropped.
  std::vector<uint64_t> limit_rejected;
  uint64_t accept_pauses = 0, accept_shed = 0, slow_consumers = 0, volatile_dropped = 0;
  uint64_t tls_handshakes_ok = 0, tls_handshakes_failed = 0;
};

class MetricsCollector {
 public:
  // Fills a worker's part; runs on that worker's thread.
  using WorkerProbe = std::function<void(unsigned worker, WorkerSnapshot&)>;
  using BrokerProbe = std::function<boost::json::array()>;
  using Done = std::function<void(std::shared_ptr<const MetricsSnapshot>)>;

  MetricsCollector(std::vector<net::Worker*> workers, const SseServer* sse, const EventBus* bus,
                   const hub::RouteTable* routes, size_t namespaces);

  void add_worker_probe(WorkerProbe p) { probes_.push_back(std::move(p)); }
  void set_broker_probe(BrokerProbe p) { broker_probe_ = std::move(p); }

  // Asynchronous: `done` runs on the last worker to report.
  void collect(Done done);
  // Every `interval_ms`, collects and hands the JSON of the snapshot (with
  // per-second rates) to `publish`.
  void start(uint32_t interval_ms, std::function<void(const std::string& json)> publish);

  // The metrics stream's event: snapshot plus rates against `prev` (may be null).
  static std::string to_json(const MetricsSnapshot& s, const MetricsSnapshot* prev);
  // Prometheus text exposition format 0.0.4.
  static std::string to_prometheus(const MetricsSnapshot& s);

 private:
  void tick();

  std::vector<net::Worker*> workers_;
  const SseServer* sse_;
  const EventBus* bus_;
  const hub::RouteTable* routes_;
  size_t namespaces_;
  uint64_t started_ms_;
  std::vector<WorkerProbe> probes_;
  BrokerProbe broker_probe_;
  uint32_t interval_ms_ = 1000;
  std::function<void(const std::string&)> publish_;
  std::mutex prev_mu_;
  std::shared_ptr<const MetricsSnapshot> prev_;
};

}  // namespace sb::intra
