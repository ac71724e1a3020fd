#pragma once
// Cluster-wide requests that want answers, as the Socket.IO Redis adapter
// makes them (protocol/cluster_message.hpp): fetchSockets (type 5) and
// serverSideEmit with acks (type 6) asked of every node, allRooms (type 1)
// answered (in the adapter format); and ours, room counts ("sb:room_counts":
// each node's room -> sockets, so counting rooms costs a message per node of
// the size of its room list, not of its sockets).
//
// An answer is one broker message of at most `max_answer_bytes`: a node with
// more to say leaves out what does not fit (fetchSockets: the sockets past
// the bound; room counts: the smallest rooms) and says `truncated`; the
// asker reports which nodes did. A request goes once to `<prefix>-request#<nsp>#`
// (NATS: `<prefix>.<nsp>.request`) with a requestId; each node answers on the
// response channel; the asker collects answers until every live node
// (ClusterNodeTable: the nodes whose heartbeats it sees) has answered or the
// timeout passes, then reports what arrived and how many nodes answered.
//
// This node answers every node's requests, Node.js peers' too (allSockets,
// type 0, and broadcasts with acks, type 7, through set_ack_broadcaster();
// count_in() makes them count it; and socket.io-redis 6 peers'
// remoteJoin/remoteLeave/remoteDisconnect of one of its sockets, types 2/3/4
// with a `sid`, through set_sockets_op(): only the socket's node answers
// {"requestId"}, as the adapter does): its sockets from `local`; a
// serverSideEmit becomes the bus event `event` (payload: the one argument, or
// the array of them) and the answer is {"node", "delivered": handlers run,
// "routed": config-route deliveries}.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateways/client/cluster_link.hpp"
#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/cluster_channels.hpp"
#include "gateways/inter_service/cluster_heartbeat.hpp"
#include "gateways/inter_service/cluster_node_table.hpp"
#include "protocol/emitter_message.hpp"

namespace sb::intra {
class EventBus;
}

namespace sb::inter_service {

// A node whose answer did not hold everything (and how much it had).
struct Truncation {
  std::string node;
  uint64_t total = 0;  // fetchSockets: the sockets that matched there
};

struct FetchResult {
  std::vector<cluster::SocketInfo> sockets;  // this node's first; `node` set on each
  size_t nodes = 1;                          // nodes that answered, this one included
  size_t expected = 1;                       // live nodes when asked, this one included
  std::vector<Truncation> truncated;         // answers that left sockets out
};

struct RoomCountsResult {
  std::map<std::string, uint64_t> rooms;  // room -> sockets, summed over the nodes
  size_t nodes = 1;
  size_t expected = 1;
  std::vector<Truncation> truncated;  // answers that left their smallest rooms out
};

// A namespace's rooms and their socket counts (a socket's own id room left
// out). Pure; tested.
std::map<std::string, uint64_t> count_rooms(const std::vector<cluster::SocketInfo>& all,
                                            const std::string& nsp);

struct EmitResult {
  std::vector<boost::json::value> responses;  // this node's first
  size_t nodes = 1;
  size_t expected = 1;
};

// Which of a namespace's sockets a fetch selects: in any of `rooms` (every
// socket when empty) and in none of `except`. Pure; tested.
std::vector<cluster::SocketInfo> select_sockets(const std::vector<cluster::SocketInfo>& all,
                                                const std::string& nsp,
                                                const std::vector<std::string>& rooms,
                                                const std::vector<std::string>& except);

// Delivers a Node.js peer's broadcast with acks to this node's matching
// sockets: `count` once with how many got it, `ack` per client answer (its
// first argument). Any thread.
using AckBroadcaster = std::function<void(emitter::AckBroadcast, std::function<void(size_t)> count,
                                          std::function<void(boost::json::value)> ack)>;

// Applies a join/leave/disconnect to this node's sockets (sio::SioServer::
// sockets_op, local). Any thread.
using SocketsOpApplier = std::function<void(sio::SocketsOp)>;

class ClusterRequests {
 public:
  // A Redis scheme needs a RedisBroker (throws std::invalid_argument otherwise).
  ClusterRequests(Broker& broker, ClusterChannels channels, std::string uid, uint32_t timeout_ms,
                  size_t max_answer_bytes, const ClusterNodeTable& nodes, LocalSockets local,
                  intra::EventBus& bus);
  ~ClusterRequests();
  ClusterRequests(const ClusterRequests&) = delete;
  ClusterRequests& operator=(const ClusterRequests&) = delete;

  // `done` runs once, on the broker's worker (or on this thread when stopped).
  void fetch_sockets(std::string nsp, std::vector<std::string> rooms,
                     std::vector<std::string> except, std::function<void(FetchResult)> done);
  // Every node's room counts of `nsp`, added up.
  void room_counts(std::string nsp, std::function<void(RoomCountsResult)> done);
  // `data` = [event, ...args]; this node emits it on its bus too.
  void server_side_emit(std::string nsp, boost::json::array data, uint32_t timeout_ms,
                        std::function<void(EmitResult)> done);
  // Redis: also SUBSCRIBEs each namespace's request channel, as adapter peers
  // do, so Node.js servers with @socket.io/redis-adapter count this node in
  // `PUBSUB NUMSUB` and wait for its answers (allSockets, allRooms,
  // fetchSockets, serverSideEmit with acks). NATS: nothing.
  void count_in(const std::vector<std::string>& nsps);
  // Redis: answers Node.js peers' broadcasts with acks (type 7) through `b`.
  // Before the broker starts.
  void set_ack_broadcaster(AckBroadcaster b);
  // Redis: applies a peer's remoteJoin/remoteLeave/remoteDisconnect of one
  // of this node's sockets through `f`. Before the broker starts.
  void set_sockets_op(SocketsOpApplier f);
  uint32_t timeout_ms() const;
  // No more answers are waited for: pending requests finish with what arrived.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> st_;
};

}  // namespace sb::inter_service
