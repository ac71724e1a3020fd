#pragma once
// The client gateway of one Socket.IO namespace: its handler registry, guards
// and interceptors (NestJS's @WebSocketGateway with @SubscribeMessage,
// @UseGuards, @UseInterceptors). Register before GatewayModule::start().
//
//   auto client = module.client();                 // namespace "/"
//   client.on("get_notifications", [](Context& c, const Json& query) -> Json {
//     return load(c.user_id(), query);             // the return value is the ack
//   });
//   client.on("slow", [](Context& c, const Json& data, Reply reply) {
//     pool.submit([data, reply = std::move(reply)]() mutable { reply(work(data)); });
//   });
//   client.guard([](Context& c) { return c.socket().authenticated(); });
//
// Handlers run on the worker thread that owns the connection: do not block
// there; hand long work to your own threads and answer through Reply.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "switchboard/broadcast.hpp"
#include "switchboard/context.hpp"
#include "switchboard/json.hpp"
#include "switchboard/socket.hpp"

namespace sb::sio {
class SioServer;
}

namespace switchboard {

// Runs before every handler of the namespace (events with no handler are
// ignored, guards included); false refuses the event: the
// client gets the `exception` event "Forbidden resource" (throw WsException
// for another message).
using Guard = std::function<bool(Context&)>;
// Runs around every handler: call next() to run the rest of the chain (and
// the handler), or do not to skip it. Exceptions from next() pass through.
using Next = std::function<void()>;
using Interceptor = std::function<void(Context&, const Next& next)>;
// Runs on the handshake of each connection to the namespace; false (or a
// WsException, whose message the client reads) refuses it with CONNECT_ERROR.
// The JWT guard of [auth] has already run: socket.user_id() is the token's sub.
using ConnectGuard = std::function<bool(Socket&)>;
using ConnectionHook = std::function<void(Socket&)>;
using DisconnectHook = std::function<void(Socket&, const std::string& reason)>;
// The one handler shape every registration is reduced to.
using EventHandler = std::function<void(Context&)>;

struct NamespaceState;

class ClientGateway {
 public:
  ClientGateway(sb::sio::SioServer& server, std::shared_ptr<NamespaceState> state)
      : server_(&server), state_(std::move(state)) {}

  const std::string& name() const;

  // Handler forms:
  //   Json-like (Context&, const Json& data)       the result is the ack (when asked for)
  //   void      (Context&, const Json& data)       no ack
  //   void      (Context&, const Json& data, Reply)   ack later, from any thread
  // Registering an event twice replaces its handler. "*" is the catch-all.
  template <class F>
  ClientGateway& on(std::string event, F handler) {
    return on_event(std::move(event), adapt(std::move(handler)));
  }
  ClientGateway& on_event(std::string event, EventHandler handler);

  ClientGateway& guard(Guard g);
  ClientGateway& intercept(Interceptor i);
  ClientGateway& use(ConnectGuard g);
  ClientGateway& on_connection(ConnectionHook hook);
  ClientGateway& on_disconnect(DisconnectHook hook);

  // Broadcasts in this namespace (thread-safe).
  Broadcast to(std::string room) const;
  void emit(std::string_view event, Json data) const;

 private:
  template <class F>
  static EventHandler adapt(F f) {
    if constexpr (std::is_invocable_v<F&, Context&, const Json&, Reply>) {
      return [f = std::move(f)](Context& c) mutable { f(c, c.data(), c.reply()); };
    } else {
      static_assert(std::is_invocable_v<F&, Context&, const Json&>,
                    "a client handler takes (Context&, const Json&) or (Context&, const Json&, "
                    "Reply)");
      using R = std::invoke_result_t<F&, Context&, const Json&>;
      if constexpr (std::is_void_v<R>) {
        return [f = std::move(f)](Context& c) mutable { f(c, c.data()); };
      } else {
        return [f = std::move(f)](Context& c) mutable { c.ack(Json(f(c, c.data()))); };
      }
    }
  }

  sb::sio::SioServer* server_;
  std::shared_ptr<NamespaceState> state_;
};

}  // namespace switchboard
