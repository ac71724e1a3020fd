#pragma once
// The in-process event bus: modules of one process publish named events and
// subscribe by name or pattern ("orders.*" one segment, "orders.**" any).
// Config [[routes]] see every event too (to rooms, users, SSE, brokers).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "switchboard/json.hpp"

namespace sb::intra {
class EventBus;
}

namespace switchboard {

using EventHandlerFn = std::function<void(const std::string& name, const Json& payload)>;

enum class Delivery {
  Sync,   // in the emitter's thread, before emit() returns
  Posted  // later, on a worker thread (one subscription always on the same one)
};

class EventBus {
 public:
  explicit EventBus(sb::intra::EventBus& bus) : bus_(&bus) {}

  // Throws std::invalid_argument for a malformed pattern. Thread-safe.
  uint64_t on(std::string_view pattern, EventHandlerFn handler, Delivery d = Delivery::Sync);
  bool off(uint64_t id);
  // The registry: a handler known by name, bound to patterns by code or by config.
  void define(const std::string& name, EventHandlerFn handler);
  uint64_t on(std::string_view pattern, const std::string& handler_name,
              Delivery d = Delivery::Sync);
  // Publishes; returns how many subscriptions matched. Thread-safe.
  size_t emit(std::string_view name, Json payload = nullptr);

 private:
  sb::intra::EventBus* bus_;
};

}  // namespace switchboard
