#pragma once
// What the Socket.IO server tells the other nodes of a cluster. SioServer
// calls it for every broadcast and sockets operation issued here (not for
// those that came from the cluster: they carry the `local` flag); the
// inter-service gateway implements it over a broker (cluster_publisher.hpp).
// Kept free of broker types so the client gateway does not depend on them.
#include <boost/json/array.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/client/sio_types.hpp"

namespace sb::sio {

// A broadcast as issued, before this node adds its recovery offset.
struct ClusterEmit {
  std::string_view nsp;
  const std::vector<std::string>& rooms;
  const std::vector<std::string>& except;
  bool is_volatile;
  std::string_view event;
  const boost::json::array& args;  // binary arguments as placeholders
  const std::vector<Bytes>& attachments;
};

enum class SocketsOpKind { join, leave, disconnect };

// socketsJoin / socketsLeave / disconnectSockets on the sockets of `nsp` in
// any of `rooms` (all when empty) and in none of `except`.
struct SocketsOp {
  SocketsOpKind kind = SocketsOpKind::join;
  std::string nsp = "/";
  std::vector<std::string> rooms{};
  std::vector<std::string> except{};
  std::vector<std::string> targets{};  // join/leave: the rooms to join or leave
  bool close = false;                  // disconnect: close the whole connection
};

class ClusterLink {
 public:
  virtual ~ClusterLink() = default;
  // Thread-safe; never throws; a failure is logged and counted by the link.
  virtual void publish(const ClusterEmit& e) = 0;
  virtual void publish(const SocketsOp& op) = 0;
};

}  // namespace sb::sio
