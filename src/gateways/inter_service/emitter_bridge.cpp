#include "gateways/inter_service/emitter_bridge.hpp"

#include <spdlog/spdlog.h>

#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"
#include "gateways/inter_service/redis_broker.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

namespace json = boost::json;

EmitterBridge::EmitterBridge(RedisBroker& redis, std::string prefix, sio::SioServer& sio,
                             intra::EventBus& bus)
    : redis_(redis), prefix_(std::move(prefix)), sio_(sio), bus_(bus) {
  broadcasts_ = redis_.subscribe_glob(prefix_ + "#*",
                                      [this](const Message& m, Ack ack) { on_broadcast(m, ack); });
  requests_ = redis_.subscribe_glob(prefix_ + "-request#*",
                                    [this](const Message& m, Ack ack) { on_request(m, ack); });
}

EmitterBridge::~EmitterBridge() {
  redis_.unsubscribe(broadcasts_);
  redis_.unsubscribe(requests_);
}

void EmitterBridge::on_broadcast(const Message& m, Ack& ack) {
  emitter::Broadcast b;
  if (auto e = emitter::decode_broadcast(m.payload, b); e != emitter::DecodeError::None)
    return ack.bad(emitter::to_string(e));
  if (b.data.empty() || !b.data[0].is_string()) return ack.bad("no event name");
  if (!sio_.find_namespace(b.nsp)) return;  // a namespace this server does not serve
  auto op = sio_.in(b.nsp);
  for (auto& r : b.rooms) op.to(r);
  for (auto& r : b.except) op.except(r);
  if (b.is_volatile) op.volatile_();
  const std::string event(b.data[0].get_string());
  json::array args(b.data.begin() + 1, b.data.end());
  op.emit(event, std::move(args), std::move(b.attachments));
}

void EmitterBridge::on_request(const Message& m, Ack& ack) {
  // `<prefix>-request#<nsp>#`
  const std::string head = prefix_ + "-request#";
  std::string_view ch = m.topic;
  if (ch.size() < head.size() + 1 || ch.substr(0, head.size()) != head || ch.back() != '#')
    return ack.bad("not a request channel");
  const std::string nsp(ch.substr(head.size(), ch.size() - head.size() - 1));
  emitter::Request r;
  if (auto e = emitter::decode_request(m.payload, r); e != emitter::DecodeError::None) {
    // Adapter-to-adapter requests of Node servers are not for us.
    if (e == emitter::DecodeError::UnknownRequest) return;
    return ack.bad(emitter::to_string(e));
  }
  if (!sio_.find_namespace(nsp)) return;
  switch (r.type) {
    case emitter::RequestType::RemoteJoin:
    case emitter::RequestType::RemoteLeave: {
      const bool join = r.type == emitter::RequestType::RemoteJoin;
      sio_.for_each_socket(nsp, r.rooms, r.except,
                           [join, targets = r.target_rooms](sio::Socket& s) {
                             for (auto& room : targets) join ? s.join(room) : s.leave(room);
                           });
      break;
    }
    case emitter::RequestType::RemoteDisconnect:
      sio_.for_each_socket(nsp, r.rooms, r.except,
                           [close = r.close](sio::Socket& s) { s.disconnect(close); });
      break;
    case emitter::RequestType::ServerSideEmit: {
      if (r.data.empty() || !r.data[0].is_string()) return ack.bad("no event name");
      const std::string event(r.data[0].get_string());
      json::value payload = r.data.size() == 2
                                ? r.data[1]
                                : json::value(json::array(r.data.begin() + 1, r.data.end()));
      bus_.emit(event, std::move(payload));
      break;
    }
  }
}

}  // namespace sb::inter_service
