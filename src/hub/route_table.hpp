#pragma once
// Config-driven routes: an event from a source ("bus" for the in-process
// event bus; the inter-service gateway feeds "broker") whose name matches a
// pattern is delivered to targets such as "sse:user:{data.id}",
// "room:lobby", "user:{data.to}" or "broker:audit.{event}". Each target
// scheme is served by a RouteSink the owner registers; a route that cannot be
// applied (missing field, no sink, the sink refuses) is logged and counted,
// never dropped in silence.
#include <atomic>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/log_limiter.hpp"
#include "hub/route_template.hpp"

namespace sb::hub {

// One route as written in the config ([[routes]]). Sources:
//   "bus:<pattern>" (or no prefix)  the event bus; EventEmitter2 patterns (* and **)
//   "broker:<pattern>"              a broker's topics; broker patterns (* and >)
//   "client:<event>"                a Socket.IO client event in namespace `nsp`
struct RouteSpec {
  std::string from;  // "inbox.*", "bus:inbox.*", "broker:user.created", "client:chat.send"
  std::vector<std::string> to;  // "sse:...", "room:...", "user:...", "broker:..."
  std::string event;            // event name at the target (template); empty = the source name
  std::string nsp = "/";        // Socket.IO namespace: room/user targets and client sources
  std::string broker{};         // broker of broker sources and targets (resolved by the owner)
  bool reply = false;           // client source: request/reply, the answer is the client's ack
  bool include_sender = false;  // client source: data = {user, socket, data}
  std::optional<bool> store = std::nullopt;  // user targets: keep in the inbox (unset: default)
  std::optional<bool> deliver_missed = std::nullopt;  // stored: push on the next connect
};

// What a route listens to, for the owner to subscribe (brokers, client events).
struct RouteSource {
  std::string source;   // "bus", "broker", "client"
  std::string pattern;  // as written after the source prefix
  std::string origin;   // broker name (broker) or namespace (client); empty for bus
  std::string broker;   // the route's broker (sources and targets)
  bool reply = false;
  bool include_sender = false;
  std::vector<std::string> to;  // the raw targets
};

// A resolved delivery, as a sink receives it.
struct Delivery {
  std::string_view target;  // expanded name after the scheme, e.g. "user:42"
  std::string_view event;   // event name at the target
  std::string_view nsp;     // namespace (room/user targets)
  std::string_view broker;  // the route's broker (broker targets)
  const boost::json::value& data;
  std::string_view source_event;
  std::optional<bool> store = std::nullopt;  // the route's inbox flags (user targets)
  std::optional<bool> deliver_missed = std::nullopt;
};

class RouteSink {
 public:
  virtual ~RouteSink() = default;
  // Returns false with `error` set when the delivery cannot be made.
  virtual bool deliver(const Delivery& d, std::string& error) = 0;
};

struct RouteCounters {
  std::atomic<uint64_t> matched{0};    // events that matched at least one route
  std::atomic<uint64_t> delivered{0};  // target deliveries made
  std::atomic<uint64_t> failed{0};     // target deliveries that could not be made
};

class RouteTable {
 public:
  static constexpr const char* kSchemes[] = {"sse", "room", "user", "broker"};

  // Parses every spec; throws std::invalid_argument naming the field
  // ("to[1]: unknown target scheme \"rooms\"").
  explicit RouteTable(const std::vector<RouteSpec>& specs = {});
  ~RouteTable();

  // Validates one spec without building a table (config checks).
  static void check(const RouteSpec& spec);

  // Registers the sink of a scheme (before events flow).
  void set_sink(const std::string& scheme, std::shared_ptr<RouteSink> sink);

  // SIGHUP: swaps in new routes (thread-safe; an event being routed finishes
  // with the old ones). Broker and client sources are subscribed when the
  // server starts, so they must stay as they are: throws std::invalid_argument
  // (and keeps the old routes) when the specs are invalid or change them.
  void replace(const std::vector<RouteSpec>& specs);

  // Delivers an event of `source` ("bus", "broker", "client") named `name` to
  // every matching route's targets; `origin` (the broker or the namespace it
  // came from) must equal the route's when both are set. Reply routes are
  // skipped: their owner answers them. Thread-safe. Returns the deliveries made.
  size_t apply(std::string_view source, std::string_view name, const boost::json::value& data,
               std::string_view origin = {});

  // Every route's source, in config order.
  std::vector<RouteSource> sources() const;

  size_t size() const { return snapshot()->size(); }
  const RouteCounters& counters() const { return counters_; }

 private:
  struct Target {
    std::string scheme;
    RouteTemplate name;
  };
  struct Route {
    std::string source;
    std::string pattern;
    std::string origin;
    std::string broker;
    bool reply = false;
    bool include_sender = false;
    std::vector<std::string> to;
    std::vector<Target> targets;
    std::optional<RouteTemplate> event;
    std::string nsp;
    std::optional<bool> store;
    std::optional<bool> deliver_missed;
  };
  using Routes = std::vector<Route>;
  static Route build(const RouteSpec& spec);
  static std::shared_ptr<const Routes> build_all(const std::vector<RouteSpec>& specs);
  std::shared_ptr<const Routes> snapshot() const {
    std::lock_guard lk(mu_);
    return routes_;
  }
  static bool matches(const Route& r, std::string_view source, std::string_view name,
                      std::string_view origin);
  void report_failure(const Route& r, const Target& t, std::string_view name,
                      const std::string& error);

  mutable std::mutex mu_;  // guards the pointer only; the routes it points to never change
  std::shared_ptr<const Routes> routes_;
  std::map<std::string, std::shared_ptr<RouteSink>> sinks_;  // set before events flow
  RouteCounters counters_;
  LogLimiter log_limiter_;  // failures beyond a few a second are only counted
};

}  // namespace sb::hub
