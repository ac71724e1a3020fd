#pragma once
// The inter-service gateway: message-pattern handlers on a broker (memory,
// Redis, NATS or Kafka, from [[brokers]]), publishing and requests. Payloads
// go through the broker's codec, so NestJS microservices' emit()/send() reach
// these handlers and our requests reach their @MessagePattern handlers.
//
//   module.bus().on("user.created", [&](const BusMessage& m) {
//     module.notify_user(std::string(m.data.at("id").as_string()), "welcome", m.data);
//   });
//
// Handlers run on the broker's worker thread. Patterns use NATS syntax on
// every broker: `*` one token, `>` the rest.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "switchboard/json.hpp"

namespace sb::inter_service {
class InterServiceGateway;
class Broker;
}  // namespace sb::inter_service

namespace switchboard {

struct BusMessage {
  std::string topic;        // the concrete topic it arrived on
  Json data;                // decoded by the broker's codec (Nest: the envelope's data)
  bool is_request = false;  // a Nest send(): the handler's result is the response
};

// Returns the response to a request (ignored for events). Throwing answers a
// request with the error {message}; the message is counted as failed (Kafka
// redelivers it).
using BusHandler = std::function<Json(const BusMessage&)>;
// A request's outcome: the response, or the error (`error` set).
struct BusReply {
  std::optional<std::string> error;  // "timeout", "no_responders", the remote error, ...
  Json value;
};
using BusReplyHandler = std::function<void(BusReply)>;
using PublishDone = std::function<void(std::optional<std::string> error)>;

class BusGateway {
 public:
  BusGateway(sb::inter_service::InterServiceGateway& gw, sb::inter_service::Broker& broker)
      : gw_(&gw), broker_(&broker) {}

  const std::string& broker_name() const;

  // Handler forms: Json (const BusMessage&) or void (const BusMessage&).
  // Throws std::invalid_argument for a malformed pattern. Returns an id for off().
  template <class F>
  uint64_t on(std::string_view pattern, F handler) {
    using R = std::invoke_result_t<F&, const BusMessage&>;
    if constexpr (std::is_void_v<R>)
      return on_message(pattern, [f = std::move(handler)](const BusMessage& m) mutable {
        f(m);
        return Json();
      });
    else
      return on_message(
          pattern, [f = std::move(handler)](const BusMessage& m) mutable { return Json(f(m)); });
  }
  uint64_t on_message(std::string_view pattern, BusHandler handler);
  void off(uint64_t id);

  // An event (Nest's emit) to `topic`; thread-safe. `done` runs once the
  // broker took it, or with the reason it did not.
  void publish(std::string_view topic, const Json& data, PublishDone done = {});
  // A request (Nest's send); `done` runs on the broker's worker.
  void request(std::string_view topic, const Json& data, BusReplyHandler done,
               uint32_t timeout_ms = 5000);

 private:
  sb::inter_service::InterServiceGateway* gw_;
  sb::inter_service::Broker* broker_;
};

}  // namespace switchboard
