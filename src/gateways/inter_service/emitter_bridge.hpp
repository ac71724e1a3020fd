#pragma once
// Socket.IO adapter messages in: broadcasts and socketsJoin / socketsLeave /
// disconnectSockets / serverSideEmit requests, as @socket.io/redis-emitter,
// Node servers with @socket.io/redis-adapter and the other Switchboard nodes
// of a cluster publish them (see cluster_channels.hpp for where: the adapter's
// Redis channels, or NATS subjects with the same payloads). Each message is
// applied to this node's sockets only (it is not published again).
// serverSideEmit(event, ...) becomes an event-bus event of that name.
//
// With `own_uid` set (a cluster node), messages this node published come
// back from the broker and are skipped: they were delivered here already.
// Bad messages are logged and counted (broker counters: bad), never fatal.
#include <atomic>
#include <cstdint>
#include <string>

#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/cluster_channels.hpp"

namespace sb::sio {
class SioServer;
}
namespace sb::intra {
class EventBus;
}

namespace sb::inter_service {

class EmitterBridge {
 public:
  // A Redis scheme needs a RedisBroker (raw PSUBSCRIBE globs): throws
  // std::invalid_argument otherwise.
  EmitterBridge(Broker& broker, ClusterChannels channels, std::string own_uid, sio::SioServer& sio,
                intra::EventBus& bus);
  ~EmitterBridge();
  EmitterBridge(const EmitterBridge&) = delete;
  EmitterBridge& operator=(const EmitterBridge&) = delete;

  const ClusterChannels& channels() const { return channels_; }
  // Messages applied here / skipped as this node's own.
  uint64_t applied() const { return applied_.load(std::memory_order_relaxed); }
  uint64_t own() const { return own_.load(std::memory_order_relaxed); }

 private:
  void on_broadcast(const Message& m, Ack& ack);
  void on_request(const Message& m, Ack& ack);

  Broker& broker_;
  ClusterChannels channels_;
  std::string own_uid_;
  sio::SioServer& sio_;
  intra::EventBus& bus_;
  SubscriptionId broadcasts_ = 0, requests_ = 0;
  std::atomic<uint64_t> applied_{0}, own_{0};
};

}  // namespace sb::inter_service
