#pragma once
// GatewayModule owns and wires the three gateways -- client (Socket.IO),
// inter-service (brokers), intra-service (event bus, SSE) -- plus the HTTP API,
// the dashboard and the metrics, as the `switchboard` binary runs them.
// RAII: the destructor stops a running module.
//
//   switchboard::GatewayModule module(switchboard::Config::from_file("app.toml"));
//   module.client().on("ping", [](switchboard::Context&, const switchboard::Json&) {
//     return switchboard::Json("pong");
//   });
//   module.run();   // until SIGINT / SIGTERM, or stop() from another thread
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/bus_gateway.hpp"
#include "switchboard/client_gateway.hpp"
#include "switchboard/config.hpp"
#include "switchboard/event_bus.hpp"
#include "switchboard/json.hpp"
#include "switchboard/sse_gateway.hpp"

namespace switchboard {

struct NotifyOptions {
  // Keep it in the user's inbox ([inbox] enabled) before the push; unset:
  // inbox.store_by_default.
  std::optional<bool> store;
};

class GatewayModule {
 public:
  // Builds everything from the config (validated here). Throws ConfigError.
  explicit GatewayModule(Config config);
  // The binary's layering: the TOML file, then SWITCHBOARD_* variables.
  explicit GatewayModule(const std::string& config_file);
  ~GatewayModule();
  GatewayModule(const GatewayModule&) = delete;
  GatewayModule& operator=(const GatewayModule&) = delete;

  // The client gateway of a namespace (declared on first use; after start(),
  // only the namespaces that exist: std::logic_error otherwise). Register
  // handlers, guards and hooks before start().
  ClientGateway client(std::string_view nsp = "/");
  // The inter-service gateway on a broker of [[brokers]] (empty: the first;
  // with none configured, the in-memory broker "memory"). Throws
  // std::invalid_argument for an unknown name.
  BusGateway bus(std::string_view broker = {});
  // The in-process event bus.
  EventBus events();
  // Server-Sent Events streams.
  SseGateway sse();

  // Emits `event` with `data` to every socket of user `user_id` (the JWT's
  // sub) on "/", on every node. Thread-safe.
  void notify_user(const std::string& user_id, std::string_view event, Json data,
                   NotifyOptions options = {});

  // Binds the port and starts the workers (once; again after stop() is not
  // supported). Throws std::system_error when the port is taken. The module's
  // threads block SIGINT and SIGTERM: they are left to the application (run()).
  void start();
  // Closes every connection and joins the workers. Idempotent; any thread
  // but a worker's (a handler must not stop its own module).
  void stop();
  // start() (unless started), then blocks until SIGINT or SIGTERM, or until
  // stop() is called from another thread; then stops.
  void run();

  // The bound port (after start(); useful with server.port = 0).
  uint16_t port() const;
  const Config& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard
