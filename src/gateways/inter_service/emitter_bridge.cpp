#include "gateways/inter_service/emitter_bridge.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/redis_broker.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

namespace json = boost::json;

EmitterBridge::EmitterBridge(Broker& broker, ClusterChannels channels, std::string own_uid,
                             sio::SioServer& sio, intra::EventBus& bus)
    : broker_(broker),
      channels_(std::move(channels)),
      own_uid_(std::move(own_uid)),
      sio_(sio),
      bus_(bus) {
  auto on_b = [this](const Message& m, Ack ack) { on_broadcast(m, ack); };
  auto on_r = [this](const Message& m, Ack ack) { on_request(m, ack); };
  if (channels_.scheme() == ClusterScheme::redis) {
    auto* redis = dynamic_cast<RedisBroker*>(&broker_);
    if (!redis) throw std::invalid_argument("the Socket.IO adapter channels need a Redis broker");
    // Globs, as the Node adapter subscribes (`socket.io#/#*`), not topic patterns.
    broadcasts_ = redis->subscribe_glob(channels_.broadcast_subscription(), on_b);
    requests_ = redis->subscribe_glob(channels_.request_subscription(), on_r);
  } else {
    broadcasts_ = broker_.subscribe(channels_.broadcast_subscription(), on_b, {});
    requests_ = broker_.subscribe(channels_.request_subscription(), on_r, {});
  }
}

EmitterBridge::~EmitterBridge() {
  broker_.unsubscribe(broadcasts_);
  broker_.unsubscribe(requests_);
}

void EmitterBridge::on_broadcast(const Message& m, Ack& ack) {
  emitter::Broadcast b;
  if (auto e = emitter::decode_broadcast(m.payload, b); e != emitter::DecodeError::None)
    return ack.bad(emitter::to_string(e));
  if (!own_uid_.empty() && b.uid == own_uid_) {
    own_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (b.data.empty() || !b.data[0].is_string()) return ack.bad("no event name");
  if (!sio_.find_namespace(b.nsp)) return;  // a namespace this server does not serve
  auto op = sio_.in(b.nsp);
  op.local();  // from the cluster: delivered here only, never published again
  for (auto& r : b.rooms) op.to(r);
  for (auto& r : b.except) op.except(r);
  if (b.is_volatile) op.volatile_();
  const std::string event(b.data[0].get_string());
  json::array args(b.data.begin() + 1, b.data.end());
  op.emit(event, std::move(args), std::move(b.attachments));
  applied_.fetch_add(1, std::memory_order_relaxed);
}

void EmitterBridge::on_request(const Message& m, Ack& ack) {
  auto nsp = channels_.nsp_of_request(m.topic);
  if (!nsp) return ack.bad("not a request channel");
  emitter::Request r;
  if (auto e = emitter::decode_request(m.payload, r); e != emitter::DecodeError::None) {
    // Adapter-to-adapter requests of Node servers (with a requestId) need
    // answers this node does not give: not bad input, just not for us.
    if (e == emitter::DecodeError::UnknownRequest) return;
    return ack.bad(emitter::to_string(e));
  }
  if (!own_uid_.empty() && r.uid == own_uid_) {
    own_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!sio_.find_namespace(*nsp)) return;
  sio::SocketsOp op;
  op.nsp = *nsp;
  op.rooms = std::move(r.rooms);
  op.except = std::move(r.except);
  switch (r.type) {
    case emitter::RequestType::RemoteJoin:
    case emitter::RequestType::RemoteLeave:
      op.kind = r.type == emitter::RequestType::RemoteJoin ? sio::SocketsOpKind::join
                                                           : sio::SocketsOpKind::leave;
      op.targets = std::move(r.target_rooms);
      break;
    case emitter::RequestType::RemoteDisconnect:
      op.kind = sio::SocketsOpKind::disconnect;
      op.close = r.close;
      break;
    case emitter::RequestType::ServerSideEmit: {
      if (r.data.empty() || !r.data[0].is_string()) return ack.bad("no event name");
      const std::string event(r.data[0].get_string());
      json::value payload = r.data.size() == 2
                                ? r.data[1]
                                : json::value(json::array(r.data.begin() + 1, r.data.end()));
      bus_.emit(event, std::move(payload));
      applied_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  sio_.sockets_op(std::move(op), /*local=*/true);
  applied_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sb::inter_service
