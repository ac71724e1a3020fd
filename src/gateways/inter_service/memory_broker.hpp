#pragma once
// The default broker: in-process, no server, for a single node. Same
// semantics as NATS core (which it mirrors): fire-and-forget fan-out to every
// matching subscription, queue groups, request/reply through inboxes, and an
// immediate `no_responders` error for a request nobody listens to. Always up
// once started.
#include <memory>
#include <string>

#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/broker_core.hpp"

namespace sb::inter_service {

struct MemoryBrokerOptions {
  BrokerLimits limits;
};

class MemoryBroker final : public detail::BrokerHandle {
 public:
  MemoryBroker(std::string name, net::Worker& worker, MemoryBrokerOptions opts = {});

  const char* kind() const override { return "memory"; }
  void start() override;
  SubscriptionId subscribe(std::string_view pattern, MessageHandler handler,
                           SubscribeOptions opts) override;
  void unsubscribe(SubscriptionId id) override;
  void reply(const Message& request, Message reply, PublishCallback done) override;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::inter_service
