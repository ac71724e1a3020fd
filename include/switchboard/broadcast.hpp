#pragma once
// Targets of a broadcast, built fluently like Socket.IO's server.to(room):
// module.client().to("room:1").except("room:2").emit("message", data).
// A value: build it anywhere, emit() from any thread. With a [cluster], the
// broadcast reaches the members on every node.
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/json.hpp"

namespace sb::sio {
class SioServer;
}

namespace switchboard {

class Broadcast {
 public:
  Broadcast(sb::sio::SioServer& server, std::string nsp, std::string except_socket = {});

  Broadcast& to(std::string room);
  Broadcast& except(std::string room);
  // May be dropped for clients that cannot take it now (Socket.IO's volatile).
  Broadcast& volatile_();

  // One argument.
  void emit(std::string_view event, Json data) const;
  // Several arguments (or none).
  void emit_args(std::string_view event, json::array args = {}) const;

  // Every matching socket (on every node) joins / leaves the rooms, or is
  // disconnected (`close`: the whole connection) -- socketsJoin & co.
  void sockets_join(std::vector<std::string> rooms) const;
  void sockets_leave(std::vector<std::string> rooms) const;
  void disconnect_sockets(bool close = false) const;

 private:
  sb::sio::SioServer* server_;
  std::string nsp_;
  std::vector<std::string> rooms_;
  std::vector<std::string> except_;
  bool is_volatile_ = false;
};

}  // namespace switchboard
