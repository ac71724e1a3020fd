#pragma once
// The in-process event bus: modules publish named events with a JSON payload
// and subscribe by name or wildcard pattern ("inbox.*", "inbox.**", see
// hub/topic_pattern.hpp). Handlers are registered at run time, directly or by
// name from a registry (define() then on(pattern, "name")). Delivery is
// synchronous (in the emitter's thread, before emit() returns) or posted (on a
// worker thread later; one subscription always runs on the same worker, so it
// sees events in emit order). A handler that throws is logged and counted;
// the other handlers still run.
#include <atomic>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/log_limiter.hpp"

namespace sb::net {
class Worker;
}

namespace sb::intra {

struct BusEvent {
  std::string name;
  boost::json::value payload;
};

using BusHandler = std::function<void(const BusEvent&)>;

enum class Delivery { Sync, Posted };

struct BusCounters {
  std::atomic<uint64_t> emitted{0};         // emit() calls
  std::atomic<uint64_t> delivered{0};       // handler runs that returned normally
  std::atomic<uint64_t> handler_errors{0};  // handler runs that threw
  std::atomic<uint64_t> unhandled{0};       // events no subscription nor route took
};

class EventBus {
 public:
  // Posted handlers run on `workers` (none: they run inline, like sync ones).
  explicit EventBus(std::vector<net::Worker*> workers = {});
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Subscribes; returns an id for off(). Throws std::invalid_argument for a
  // malformed pattern. Thread-safe, also from inside a handler.
  uint64_t on(std::string_view pattern, BusHandler handler, Delivery delivery = Delivery::Sync);
  // Subscribes the handler registered under `handler_name`; throws
  // std::invalid_argument when no such handler is defined.
  uint64_t on(std::string_view pattern, const std::string& handler_name,
              Delivery delivery = Delivery::Sync);
  bool off(uint64_t id);

  // The registry: handlers known by name, bound to patterns later (by code or config).
  void define(const std::string& name, BusHandler handler);
  bool defined(const std::string& name) const;

  // Publishes. Returns the number of subscriptions that matched; `routed`
  // (optional) receives the route deliveries made. Thread-safe.
  size_t emit(std::string_view name, boost::json::value payload = nullptr,
              size_t* routed = nullptr);

  // Config routes see every event before the handlers do (synchronously, in
  // the emitter's order). Not a subscription: it does not count as a handler.
  using Router = std::function<size_t(std::string_view name, const boost::json::value& payload)>;
  void set_router(Router r) { router_ = std::move(r); }  // before events flow

  const BusCounters& counters() const { return counters_; }
  size_t subscription_count() const;

 private:
  struct Subscription {
    uint64_t id;
    std::string pattern;
    bool wildcard;
    BusHandler handler;
    Delivery delivery;
  };
  using Table = std::vector<std::shared_ptr<const Subscription>>;

  void run(const Subscription& s, const BusEvent& e);

  std::vector<net::Worker*> workers_;
  Router router_;
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_;  // copy-on-write: emit() reads a snapshot
  std::unordered_map<std::string, BusHandler> registry_;
  uint64_t next_id_ = 1;
  BusCounters counters_;
  hub::LogLimiter log_limiter_;
};

}  // namespace sb::intra
