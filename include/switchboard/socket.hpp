#pragma once
// One client's connection to a namespace, as handlers see it. A Socket& is
// valid during the call that received it (handlers, hooks, guards) and only
// on that thread; to answer later, use the handler's Reply.
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/broadcast.hpp"
#include "switchboard/json.hpp"

namespace sb::sio {
class Socket;
}

namespace switchboard {

class Socket {
 public:
  explicit Socket(sb::sio::Socket& impl) : impl_(&impl) {}

  std::string id() const;
  // The JWT's `sub`; empty for an anonymous client.
  const std::string& user_id() const;
  bool authenticated() const { return !user_id().empty(); }
  // The handshake's `auth` payload (the token included).
  const Json& auth() const;
  const std::string& nsp() const;
  // Per-socket storage for your handlers (Socket.IO's socket.data).
  json::object& data();

  void emit(std::string_view event, Json data);
  void emit_args(std::string_view event, json::array args = {});

  void join(const std::string& room);
  void leave(const std::string& room);
  const std::vector<std::string>& rooms() const;
  bool in_room(std::string_view room) const;

  // The room without this socket (socket.to(room)); the namespace without it (socket.broadcast).
  Broadcast to(std::string room) const;
  Broadcast broadcast() const;

  // Leaves the namespace; `close` ends the whole connection.
  void disconnect(bool close = false);

  sb::sio::Socket& impl() const { return *impl_; }

 private:
  sb::sio::Socket* impl_;
};

}  // namespace switchboard
