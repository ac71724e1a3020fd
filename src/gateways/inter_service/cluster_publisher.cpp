#include "gateways/inter_service/cluster_publisher.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

ClusterPublisher::ClusterPublisher(Broker& broker, ClusterChannels channels, std::string uid)
    : broker_(broker), channels_(std::move(channels)), uid_(std::move(uid)) {}

std::string ClusterPublisher::random_uid() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::random_device rd;
  std::string out(12, ' ');
  for (auto& c : out) c = kAlphabet[rd() % 64];
  return out;
}

void ClusterPublisher::publish(const sio::ClusterEmit& e) {
  emitter::Broadcast b;
  b.uid = uid_;
  b.nsp = std::string(e.nsp);
  b.data.reserve(e.args.size() + 1);
  b.data.emplace_back(boost::json::string(e.event));
  for (auto& a : e.args) b.data.push_back(a);
  b.attachments = e.attachments;
  b.rooms = e.rooms;
  b.except = e.except;
  b.is_volatile = e.is_volatile;
  publish_broadcast(b);
}

void ClusterPublisher::publish_broadcast(const emitter::Broadcast& b) {
  send(channels_.broadcast(b.nsp, b.rooms), emitter::encode_broadcast(b));
}

void ClusterPublisher::publish(const sio::SocketsOp& op) {
  emitter::Request r;
  r.uid = uid_;
  switch (op.kind) {
    case sio::SocketsOpKind::join:
      r.type = emitter::RequestType::RemoteJoin;
      break;
    case sio::SocketsOpKind::leave:
      r.type = emitter::RequestType::RemoteLeave;
      break;
    case sio::SocketsOpKind::disconnect:
      r.type = emitter::RequestType::RemoteDisconnect;
      break;
  }
  r.rooms = op.rooms;
  r.except = op.except;
  r.target_rooms = op.targets;
  r.close = op.close;
  send(channels_.request(op.nsp), emitter::encode_request(r));
}

void ClusterPublisher::send(std::string topic, std::string payload) {
  Message m;
  m.topic = topic;
  m.payload = std::move(payload);
  // The broker buffers while it is down and refuses beyond its bound; a
  // refusal means the other nodes miss this one (this node delivered it).
  broker_.publish(std::move(m), [this, topic = std::move(topic)](const Error& err) {
    if (!err) {
      published_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (log_limiter_.allow())
      spdlog::warn("cluster: broker {} refused \"{}\": {}", broker_.name(), topic, err.to_string());
  });
}

}  // namespace sb::inter_service
