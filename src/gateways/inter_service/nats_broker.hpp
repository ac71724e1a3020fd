#pragma once
// NATS core through cnats. cnats runs its own threads (socket reader,
// flusher, reconnection, message delivery): its callbacks only copy the
// message and post it to the broker's worker, where handlers run.
//
// Reconnection and re-subscription are cnats's own (infinite attempts, delays
// from our BackoffPolicy through its custom-delay hook); the connection
// callbacks drive health. While reconnecting, cnats keeps publishes in its
// reconnect buffer and sends them once connected again; when that buffer is
// full a publish is refused (queue_full). A publish callback without error
// means cnats accepted the message (sent or buffered) -- NATS core has no
// server acknowledgement.
//
// Request/reply uses one wildcard subscription on a private inbox
// (`_INBOX.<nuid>.*`); a request nobody is subscribed to fails at once with
// no_responders (NATS >= 2.2 tells us).
//
// start() makes the first connection attempt on the calling thread (cnats's
// connect is blocking, at most connect_timeout_ms); when it fails, cnats
// keeps retrying in the background and health says down.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateways/inter_service/backoff.hpp"
#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/broker_core.hpp"

namespace sb::inter_service {

struct NatsBrokerOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string connection_name = "switchboard";
  std::string user{}, password{}, token{};
  uint32_t connect_timeout_ms = 2000;
  BackoffPolicy reconnect{100, 5000, 2.0, 0.2};
  int reconnect_buffer_bytes = 8 << 20;  // publishes kept while reconnecting
  uint32_t ping_interval_ms = 30000;     // dead-connection detection
  int max_pings_out = 2;
  uint32_t stop_flush_timeout_ms = 1000;  // stop() flushes what cnats still holds
  BrokerLimits limits{};
};

class NatsBroker final : public detail::BrokerHandle {
 public:
  NatsBroker(std::string name, net::Worker& worker, NatsBrokerOptions opts);

  const char* kind() const override { return "nats"; }
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
