#pragma once
// What a client event handler, guard or interceptor gets: the socket, the
// event and its arguments (NestJS's ExecutionContext + @MessageBody), and
// Reply, the acknowledgement a handler may send later from any thread.
#include <any>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/json.hpp"
#include "switchboard/socket.hpp"

namespace switchboard {

class Context {
 public:
  Context(Socket socket, const std::string& event, const json::array& args,
          const std::vector<std::string>& attachments, bool wants_ack)
      : socket_(socket),
        event_(event),
        args_(args),
        attachments_(attachments),
        wants_ack_(wants_ack) {}

  Socket& socket() { return socket_; }
  const std::string& user_id() const { return socket_.user_id(); }
  const std::string& event() const { return event_; }
  // The first argument (null when none): what NestJS calls the payload.
  const Json& data() const { return args_.empty() ? null_ : args_.front(); }
  // Every argument after the event name.
  const json::array& args() const { return args_; }
  // Binary attachments, in the order of their placeholders in args().
  const std::vector<std::string>& attachments() const { return attachments_; }
  // The client passed an acknowledgement callback (emitWithAck or a callback).
  bool wants_ack() const { return wants_ack_; }

  // Values guards and interceptors hand to the handler ("user", a timer, ...).
  std::map<std::string, std::any>& values() { return values_; }

 private:
  Socket socket_;
  const std::string& event_;
  const json::array& args_;
  const std::vector<std::string>& attachments_;
  bool wants_ack_;
  std::map<std::string, std::any> values_;
  inline static const Json null_{};
};

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

}  // namespace switchboard
