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

class MemoryBroker final : public Broker {
 public:
  MemoryBroker(std::string name, net::Worker& worker, MemoryBrokerOptions opts = {});
  ~MemoryBroker() override;

  const std::string& name() const override;
  const char* kind() const override { return "memory"; }
  net::Worker& worker() const override;
  void start() override;
  void stop() override;
  void publish(Message msg, PublishCallback done) override;
  SubscriptionId subscribe(std::string_view pattern, MessageHandler handler,
                           SubscribeOptions opts) override;
  void unsubscribe(SubscriptionId id) override;
  void request(Message msg, RequestOptions opts, ReplyCallback done) override;
  void reply(const Message& request, Message reply, PublishCallback done) override;
  Health health() const override;
  Counters counters() const override;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::inter_service
