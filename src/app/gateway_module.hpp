#pragma once
// GatewayModule owns and wires everything a server runs: workers and
// listeners, the Engine.IO endpoints, the Socket.IO server with its handler
// registry, the guard and the HTTP API. The binary is this plus a config.
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace sb::sio {
class SioServer;
class InboxService;
}  // namespace sb::sio
namespace sb::intra {
class EventBus;
class SseServer;
}  // namespace sb::intra
namespace sb::hub {
class RouteTable;
}
namespace sb::inter_service {
class InterServiceGateway;
}

namespace sb {

class GatewayModule {
 public:
  // Builds from the config; throws ConfigError for a handler name or key it cannot use.
  explicit GatewayModule(Config config);
  ~GatewayModule();
  GatewayModule(const GatewayModule&) = delete;
  GatewayModule& operator=(const GatewayModule&) = delete;

  // The Socket.IO server: declare namespaces and handlers before start().
  sio::SioServer& client();
  // The in-process event bus: events().on("inbox.*", handler), events().emit(...).
  intra::EventBus& events();
  // The SSE gateway: sse().publish("news", "headline", "{...}").
  intra::SseServer& sse();
  // Config routes; the inter-service gateway registers the "broker" sink here.
  hub::RouteTable& routes();
  // The brokers: brokers().find("redis")->subscribe("user.*", handler), requests.
  inter_service::InterServiceGateway& brokers();
  // The notification inbox ([inbox] enabled), else null: client().notify_user(user,
  // event, data, {.store = true}) stores and pushes; inbox()->delete_user(user).
  sio::InboxService* inbox();

  // Binds and starts the workers. Throws std::system_error if the port is taken.
  void start();
  // Graceful: stops accepting, commits and answers queued inbox writes, closes
  // every session (clients reconnect), flushes broker publishes, stops the
  // workers and joins them. main bounds it with server.shutdown_timeout_ms.
  void stop();
  // SIGHUP: the JWT key, the API keys and the routes from `fresh` (the config
  // file read again). Throws ConfigError, changing nothing, when one is
  // invalid or a route change needs a restart (broker and client sources).
  void reload(const Config& fresh);
  // Blocks until stop() (from a signal handler thread) finishes.
  void wait();

  uint16_t port() const;
  const Config& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb
