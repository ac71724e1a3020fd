#pragma once
// @socket.io/redis-emitter compatibility: a Node service's
// `emitter.to("user:42").emit("new_notification", data)` reaches the sockets
// connected here. Listens on a Redis broker as a Socket.IO Redis adapter does
// (PSUBSCRIBE `<prefix>#*` for broadcasts, `<prefix>-request#*` for the
// emitter's socketsJoin / socketsLeave / disconnectSockets / serverSideEmit)
// and hands each message to the Socket.IO server. serverSideEmit(event, ...)
// becomes an event-bus event of that name. Bad messages are logged and
// counted (broker counters: bad), never fatal.
#include <string>

#include "gateways/inter_service/broker.hpp"

namespace sb::sio {
class SioServer;
}
namespace sb::intra {
class EventBus;
}

namespace sb::inter_service {

class RedisBroker;

class EmitterBridge {
 public:
  EmitterBridge(RedisBroker& redis, std::string prefix, sio::SioServer& sio, intra::EventBus& bus);
  ~EmitterBridge();
  EmitterBridge(const EmitterBridge&) = delete;
  EmitterBridge& operator=(const EmitterBridge&) = delete;

 private:
  void on_broadcast(const Message& m, Ack& ack);
  void on_request(const Message& m, Ack& ack);

  RedisBroker& redis_;
  std::string prefix_;
  sio::SioServer& sio_;
  intra::EventBus& bus_;
  SubscriptionId broadcasts_ = 0, requests_ = 0;
};

}  // namespace sb::inter_service
