#pragma once
// Who is connected, behind a small interface: the HTTP API asks a Presence,
// never the Socket.IO shards directly. LocalPresence sees this node only;
// ClusterPresence (cluster_presence.hpp) adds the other nodes of a [cluster].
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/cluster_message.hpp"

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
  std::string node;  // the node it is connected to (a cluster's node id; empty alone)
};

struct PresenceSnapshot {
  std::vector<SocketInfo> sockets;  // every socket of every namespace of this node, any order
  std::string node;                 // this node's cluster id; empty without a cluster
  // The other live nodes' counts (their last heartbeats); empty without a cluster.
  std::vector<cluster::Heartbeat> remote;
};

// A node whose answer left something out to fit one broker message.
struct PartialAnswer {
  std::string node;
  uint64_t total = 0;  // sockets: how many matched there (0 for room counts)
};

// Sockets of one namespace, one by one, from every node that answered in time.
struct SocketsResult {
  std::vector<SocketInfo> sockets;
  size_t nodes = 1;     // nodes that answered, this one included
  size_t expected = 1;  // live nodes when asked
  std::vector<PartialAnswer> truncated;
};

// Rooms of one namespace and their socket counts (a socket's own id room
// not listed), summed over the nodes that answered in time.
struct RoomsResult {
  std::map<std::string, uint64_t> rooms;
  size_t nodes = 1;
  size_t expected = 1;
  std::vector<PartialAnswer> truncated;  // nodes that left their smallest rooms out
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
  // The sockets of `nsp` in any of `rooms` (all when empty); `done` once, any thread.
  virtual void sockets(std::string nsp, std::vector<std::string> rooms,
                       std::function<void(SocketsResult)> done) = 0;
  // The rooms of `nsp` with their socket counts; `done` once, any thread.
  // By default counted from sockets(); a cluster asks each node for counts.
  virtual void rooms(std::string nsp, std::function<void(RoomsResult)> done);
};

// This node's sockets: a round trip through every worker, each reading its own shards.
std::unique_ptr<Presence> make_local_presence(sio::SioServer& server, unsigned workers);

}  // namespace sb::api
