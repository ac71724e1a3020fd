#pragma once
// The inter-service gateway: the configured brokers and what connects them to
// the rest of the server.
//   - routes: a broker topic to rooms, users, SSE streams or other topics
//     ("broker:<pattern>" sources), a client event to a topic ("client:<event>"
//     sources, with the broker's reply as the client's ack when `reply`), and
//     the "broker:<topic>" target of any route;
//   - the event bus: topics listed in a broker's `bus` become bus events, so
//     `events().on("user.created", ...)` sees them;
//   - NestJS: with the "nest" codec, a Nest `emit` reaches the routes and the
//     bus, a Nest `send` gets a reply ({"delivered": n}), and our requests go
//     to Nest `@MessagePattern` handlers;
//   - @socket.io/redis-emitter: a Redis broker with `emitter_prefix` takes the
//     emitter's broadcasts and socketsJoin/Leave/disconnectSockets commands.
// Health feeds /readyz and the metrics; every failure is logged and counted.
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/broker_factory.hpp"
#include "gateways/inter_service/cluster_heartbeat.hpp"
#include "gateways/inter_service/message_codec.hpp"

namespace sb::net {
class Worker;
}
namespace sb::sio {
class SioServer;
}
namespace sb::intra {
class EventBus;
}
namespace sb::hub {
class RouteTable;
}

namespace sb::inter_service {

struct GatewayBrokerSpec {
  BrokerSpec broker;
  Codec codec = Codec::nest;
  std::vector<std::string> bus;  // topic patterns forwarded to the event bus
  bool required = true;          // /readyz answers 503 while it is not up
  std::string emitter_prefix;    // redis: accept @socket.io/redis-emitter messages
  uint32_t request_timeout_ms = 5000;
};

// [cluster]: rooms span the nodes that share `broker` (redis or nats).
struct ClusterSpec {
  bool enabled = false;
  std::string broker;                  // a broker's name
  std::string prefix = "socket.io";    // channel prefix (the Redis adapter's `key`)
  std::string uid;                     // this node's id; empty: a random one
  HeartbeatOptions heartbeat{};        // presence heartbeats and node expiry
  uint32_t request_timeout_ms = 5000;  // fetchSockets / serverSideEmit answers
  LocalSockets local{};                // this node's sockets (presence, fetchSockets)
  bool presence_events = false;        // bus events presence.online / presence.offline
  size_t max_answer_bytes = 1 << 20;   // one request's answer (the broker's payload bound)
};

class ClusterRequests;

struct BrokerStatus {
  std::string name;
  std::string kind;
  bool required = true;
  Health health;
  Counters counters;
};

class InterServiceGateway {
 public:
  // Builds the brokers (none: one in-memory broker named "memory"); the first
  // is the default of routes that name none. Throws std::invalid_argument
  // naming the broker ("brokers[1].url: ...").
  InterServiceGateway(std::vector<GatewayBrokerSpec> specs, std::vector<net::Worker*> workers,
                      sio::SioServer& sio, intra::EventBus& bus, hub::RouteTable& routes);
  ~InterServiceGateway();
  InterServiceGateway(const InterServiceGateway&) = delete;
  InterServiceGateway& operator=(const InterServiceGateway&) = delete;

  // The name routes use when they name no broker.
  static std::string default_broker_name(const std::vector<GatewayBrokerSpec>& specs);

  // Joins the cluster at wire(): every broadcast and sockets operation of the
  // Socket.IO server is published on the cluster broker, and those of the
  // other nodes are applied here. Throws std::invalid_argument naming the key
  // ("cluster.broker: ...").
  void set_cluster(ClusterSpec spec);
  // This node's cluster id; empty when the cluster is off.
  std::string cluster_uid() const;
  // The cluster's presence view and requests; null when the cluster is off
  // (or before wire()).
  ClusterHeartbeat* cluster_presence() const;
  ClusterRequests* cluster_requests() const;

  // Subscribes what routes and `bus` lists need, registers the client-event
  // routes on their namespaces and the "broker" route sink. Before start().
  void wire();
  // Connects every broker (in the background). The workers must be running.
  void start();
  // Disconnects (pending callbacks complete with `stopped`). Before the workers stop.
  void stop();

  Broker* find(std::string_view name) const;
  Broker& default_broker() const;
  Codec codec_of(const Broker& b) const;

  // A request to `topic` on a broker, encoded with its codec; `done` gets the
  // decoded reply or the error, on the broker's worker.
  using RequestDone = std::function<void(const Error& err, const ReplyValue& reply)>;
  void request(Broker& b, std::string_view topic, const boost::json::value& data,
               uint32_t timeout_ms, RequestDone done);
  // An event to `topic`, encoded with the broker's codec.
  void publish(Broker& b, std::string_view topic, const boost::json::value& data,
               PublishCallback done = {});

  std::vector<BrokerStatus> status() const;
  // False while a required broker is not up.
  bool ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::inter_service
