#pragma once
// Who is connected, behind a small interface: the HTTP API asks a Presence,
// never the Socket.IO shards directly, so a cluster-wide implementation (over
// the cluster adapter) can replace LocalPresence without touching the endpoints.
// LocalPresence sees this node only.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sb::sio {
class SioServer;
}

namespace sb::api {

struct SocketInfo {
  std::string nsp;
  std::string id;
  std::string user;  // empty for an anonymous socket
  std::vector<std::string> rooms;
  unsigned worker = 0;
};

struct PresenceSnapshot {
  std::vector<SocketInfo> sockets;  // every socket of every namespace, any order
};

class Presence {
 public:
  virtual ~Presence() = default;
  // Calls `done` once, from any thread, with the sockets connected now.
  virtual void snapshot(std::function<void(PresenceSnapshot)> done) = 0;
  // Disconnects every socket of `user` (in `nsp` only when given; `close`
  // ends their whole connections); `done` gets how many sockets were cut.
  virtual void disconnect_user(std::string user, std::optional<std::string> nsp, bool close,
                               std::function<void(size_t)> done) = 0;
};

// This node's sockets: a round trip through every worker, each reading its own shards.
std::unique_ptr<Presence> make_local_presence(sio::SioServer& server, unsigned workers);

}  // namespace sb::api
