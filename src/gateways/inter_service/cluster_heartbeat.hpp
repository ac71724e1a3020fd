#pragma once
// Cluster presence: every `heartbeat_ms` this node publishes who is connected
// to it (per namespace: sockets, anonymous sockets, users with their
// connection counts; protocol/cluster_message.hpp) on the cluster broker, and
// keeps the other nodes' last heartbeats in a ClusterNodeTable. A node whose
// heartbeats stop for `node_timeout_ms` is dropped (it died); stop() says
// `bye` so the others drop this one at once. Full state every time: no
// deltas to lose, a restarted node is complete after one period.
//
// The state is split into chunks of at most `chunk_users` users (and about
// `chunk_bytes`), all with the period's generation, so no message grows with
// the node's users; receivers swap in a generation only once every chunk of
// it arrived (ClusterNodeTable). Chunked full snapshots rather than deltas:
// a lost chunk costs one period of staleness, not a resync protocol (sequence
// gaps, resync requests, a base snapshot to fetch), and a receiver that joins
// late needs nothing but the next period.
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/cluster_channels.hpp"
#include "gateways/inter_service/cluster_node_table.hpp"

namespace sb::inter_service {

// A user's cluster-wide connection count went 0 -> n (`online`) or n -> 0.
using PresenceChange = std::function<void(const std::string& user, bool online)>;

struct HeartbeatOptions {
  uint32_t heartbeat_ms = 2000;
  uint32_t node_timeout_ms = 6000;
  uint32_t chunk_users = 5000;     // users per heartbeat message at most
  size_t chunk_bytes = 256 << 10;  // user bytes per message at most (under the broker's limit)
  // Set: once per period this node compares the users online anywhere (its
  // own and the live nodes' heartbeats) with the previous period's, and calls
  // it for each user who came or went. Each node sees every change.
  PresenceChange on_change{};
};

// This node's sockets, one entry each (nsp, id, user, rooms); `done` is called
// once, from any thread.
using LocalSockets =
    std::function<void(std::function<void(std::vector<cluster::SocketInfo>)> done)>;

// Counts per namespace from a socket list (pure; tested).
std::vector<cluster::NamespaceCount> count_sockets(const std::vector<cluster::SocketInfo>& sockets);

// The users online in any namespace of these nodes (pure; tested).
std::set<std::string> users_online(const std::vector<cluster::NamespaceCount>& local,
                                   const std::vector<cluster::Heartbeat>& remote);

class ClusterHeartbeat {
 public:
  // A Redis scheme needs a RedisBroker (throws std::invalid_argument otherwise).
  ClusterHeartbeat(Broker& broker, ClusterChannels channels, std::string uid,
                   HeartbeatOptions options, LocalSockets local);
  ~ClusterHeartbeat();
  ClusterHeartbeat(const ClusterHeartbeat&) = delete;
  ClusterHeartbeat& operator=(const ClusterHeartbeat&) = delete;

  // The workers run: the first heartbeat now, then one per period.
  void start();
  // Publishes `bye` and stops the ticks. Before the broker stops.
  void stop();

  const ClusterNodeTable& nodes() const;
  const std::string& uid() const;

 private:
  struct State;
  std::shared_ptr<State> st_;
};

}  // namespace sb::inter_service
