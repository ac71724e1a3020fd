#pragma once
// What a client event handler, guard or interceptor gets: the socket, the
// event and its arguments (NestJS's ExecutionContext + @MessageBody), and
// Reply, the acknowledgement a handler may send later from any thread.
// (A return value is acknowledged directly, without Reply's allocation.)
#include <any>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/json.hpp"
#include "switchboard/socket.hpp"

namespace sb::sio {
struct Event;
}

namespace switchboard {

// The acknowledgement of one client event, callable from any thread (it is
// posted to the socket's worker). Copies share it: the first call wins, later
// ones do nothing. Never called: no ack, as for a client that asked for none.
class Reply {
 public:
  struct State;
  Reply() = default;
  explicit Reply(std::shared_ptr<State> state) : state_(std::move(state)) {}

  // Acknowledges with one argument.
  void operator()(Json value);
  // Acknowledges with several arguments.
  void args(json::array values);
  // Sends the client the `exception` event of a WsException with `message`.
  void fail(const std::string& message);
  // The client asked for an acknowledgement and it was not sent yet.
  bool pending() const;

 private:
  std::shared_ptr<State> state_;
};

// Valid during the call that received it, on that thread.
class Context {
 public:
  Context(Socket socket, sb::sio::Event& event) : socket_(socket), event_(&event) {}

  Socket& socket() { return socket_; }
  const std::string& user_id() const { return socket_.user_id(); }
  const std::string& event() const;
  // The first argument (null when none): what NestJS calls the payload.
  const Json& data() const;
  // Every argument after the event name.
  const json::array& args() const;
  // Binary attachments, in the order of their placeholders in args().
  const std::vector<std::string>& attachments() const;
  // The client passed an acknowledgement callback (emitWithAck or a callback).
  bool wants_ack() const;

  // Acknowledges now, from the handler's thread (once; nothing when the client
  // asked for no ack). What a handler's return value becomes.
  void ack(Json value);
  // The acknowledgement, to send later from any thread.
  Reply reply();

  // Values guards and interceptors hand to the handler ("user", a timer, ...).
  std::map<std::string, std::any>& values() { return values_; }

 private:
  Socket socket_;
  sb::sio::Event* event_;
  std::shared_ptr<Reply::State> reply_;  // made by the first reply()
  std::map<std::string, std::any> values_;
};

}  // namespace switchboard
