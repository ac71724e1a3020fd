#pragma once
// Redis Pub/Sub. hiredis runs on the broker's worker loop (no extra thread)
// over two connections, as Redis requires: one in subscriber mode, one for
// PUBLISH. Literal patterns use SUBSCRIBE, wildcard ones PSUBSCRIBE (the glob
// is a superset; arrivals are filtered with topic_pattern::matches).
//
// Reconnection: exponential backoff with jitter, per connection; then every
// channel and pattern is subscribed again. The broker is `up` once both
// connections answered PING and every subscription is confirmed. Publishes
// made while not up wait in a bounded queue and go out on reconnect; beyond
// the bound they are refused (queue_full). A publish already written when the
// connection drops reports connection_lost: nothing is dropped silently.
//
// Request/reply follows the NestJS Redis transport: the request goes to
// `<topic>`, replies come on `<topic>.reply`, matched by the JSON "id" of the
// payloads. Every incoming message's reply_to is `<channel>.reply`.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateways/inter_service/backoff.hpp"
#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/broker_core.hpp"

namespace sb::inter_service {

struct RedisBrokerOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username{};  // AUTH <username> <password> (Redis 6 ACL) when set
  std::string password{};
  uint32_t connect_timeout_ms = 2000;
  BackoffPolicy reconnect{100, 5000, 2.0, 0.2};
  size_t max_queued_publishes = 10000;  // buffered while down; more are refused
  std::string reply_suffix = ".reply";
  // Extracts the correlation id from a request or reply payload; empty when
  // there is none. Default: the top-level JSON string "id" (NestJS packets).
  std::function<std::string(std::string_view payload)> correlation_id{};
  BrokerLimits limits{};
};

// The default correlation extractor: `{"id": "..."}` -> "...", else "".
std::string json_id_of(std::string_view payload);

class RedisBroker final : public detail::BrokerHandle {
 public:
  RedisBroker(std::string name, net::Worker& worker, RedisBrokerOptions opts);

  const char* kind() const override { return "redis"; }
  void start() override;
  SubscriptionId subscribe(std::string_view pattern, MessageHandler handler,
                           SubscribeOptions opts) override;
  void unsubscribe(SubscriptionId id) override;
  // Redis only: PSUBSCRIBE to a raw glob, no topic syntax, no filtering (what
  // the Socket.IO adapter does: `socket.io#/#*`). Survives reconnections.
  SubscriptionId subscribe_glob(std::string_view glob, MessageHandler handler);
  // Redis only: SUBSCRIBE to one raw channel name, no topic syntax (to be
  // counted by `PUBSUB NUMSUB`, as Socket.IO adapter peers count each other).
  SubscriptionId subscribe_channel(std::string_view channel, MessageHandler handler);
  void reply(const Message& request, Message reply, PublishCallback done) override;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::inter_service
