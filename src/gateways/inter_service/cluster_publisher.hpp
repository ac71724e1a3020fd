#pragma once
// This node's broadcasts and sockets operations out to the cluster: each one
// is published once (not per member or node) on the cluster broker, in the
// Socket.IO Redis adapter's format ([uid, packet, opts] msgpack; request JSON)
// on the channels of cluster_channels.hpp. Every node, this one included,
// receives it through its EmitterBridge, which skips what carries its own uid.
#include <atomic>
#include <cstdint>
#include <string>

#include "gateways/client/cluster_link.hpp"
#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/cluster_channels.hpp"
#include "hub/log_limiter.hpp"

namespace sb::emitter {
struct Broadcast;
}

namespace sb::inter_service {

class ClusterPublisher final : public sio::ClusterLink {
 public:
  ClusterPublisher(Broker& broker, ClusterChannels channels, std::string uid);

  void publish(const sio::ClusterEmit& e) override;
  void publish(const sio::SocketsOp& op) override;
  // A broadcast already in the adapter's form (the shared recovery log's fallback).
  void publish_broadcast(const emitter::Broadcast& b);

  const std::string& uid() const { return uid_; }
  uint64_t published() const { return published_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

  // A random node id: 12 characters of [A-Za-z0-9_-], as unlikely to collide as uid2's.
  static std::string random_uid();

 private:
  void send(std::string topic, std::string payload);

  Broker& broker_;
  ClusterChannels channels_;
  std::string uid_;
  std::atomic<uint64_t> published_{0}, refused_{0};
  hub::LogLimiter log_limiter_;
};

}  // namespace sb::inter_service
