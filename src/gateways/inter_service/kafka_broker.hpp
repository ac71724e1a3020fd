#pragma once
// Kafka through librdkafka: one producer (publish, request, reply), one
// consumer in the consumer group `group_id` (subscriptions), and one
// group-less consumer assigned by hand to reply partitions (requests).
//
// Threading: librdkafka does its network I/O on its own threads and hands
// results over through queues. Each queue signals an eventfd
// (rd_kafka_queue_io_event_enable) that the worker's Asio loop watches, and the
// worker serves the queue: delivery reports, rebalances, errors, statistics
// and messages all run on the worker, so no librdkafka thread ever touches our
// state or runs a user callback. (A poll thread per broker would cost a
// thread, a hop per message and locks on the partition state.)
//
// Offsets: enable.auto.offset.store is off. An offset is stored (and then
// committed by librdkafka's auto-commit, on rebalance and on close) only once
// the handlers reported ok or bad, in order per partition (see
// kafka_offset_tracker.hpp). A failed message is dispatched again after a
// backoff while its partition keeps flowing; the commit position stays at it
// until it succeeds, so a restart resumes there (at-least-once). A partition
// with too many unfinished messages is paused until they drain.
//
// Counters: `received` counts each message (topic, partition, offset) once
// per broker object, as the number of messages the topic holds for us. Our
// own retries after a failed handler and Kafka's redeliveries of an offset
// this member already took (the partition came back after a rebalance and
// the commit position was behind, or a seek) run the handlers again but are
// not new messages; `failed` counts each failed attempt. A redelivery to
// another member (or after a restart) is that consumer's first receipt.
//
// Request/reply follows the NestJS Kafka transport: headers
// `kafka_correlationId`, `kafka_replyTopic` (`<topic>.reply`) and
// `kafka_replyPartition`; replies carry `kafka_correlationId` and
// `kafka_nest-is-disposed` (errors: `kafka_nest-err`, passed on in the reply's
// headers). The reply partition is consumed from its end offset, looked up
// before the first request to it is sent, so no reply is missed.
//
// Health: up when the producer or the group consumer has a broker connection
// up (librdkafka statistics every health_interval_ms), down when neither
// has one (statistics, ALL_BROKERS_DOWN). librdkafka reconnects and
// keeps the group subscription itself.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gateways/inter_service/backoff.hpp"
#include "gateways/inter_service/broker.hpp"
#include "gateways/inter_service/broker_core.hpp"

namespace sb::inter_service {

struct KafkaBrokerOptions {
  std::string brokers = "127.0.0.1:9092";  // bootstrap.servers
  std::string group_id = "switchboard";    // consumer group of every subscription
  std::string client_id = "switchboard";
  // Extra librdkafka properties (applied last: they override ours), for all
  // handles, then the producer or the consumers only.
  std::map<std::string, std::string> properties{};
  std::map<std::string, std::string> producer_properties{};
  std::map<std::string, std::string> consumer_properties{};
  std::string auto_offset_reset = "latest";   // where a group with no committed offset starts
  uint32_t commit_interval_ms = 1000;         // auto.commit.interval.ms (of stored offsets)
  uint32_t health_interval_ms = 1000;         // statistics.interval.ms
  BackoffPolicy retry{200, 10000, 2.0, 0.2};  // redelivery of failed messages
  size_t max_in_flight_per_partition = 1000;  // then the partition is paused
  size_t max_queued_publishes = 100000;       // librdkafka's producer queue; more: queue_full
  uint32_t stop_timeout_ms = 5000;            // stop(): flush publishes, leave the group
  std::string reply_suffix = ".reply";
  int32_t reply_partition = 0;  // the partition of `<topic>.reply` our replies come to
  BrokerLimits limits{};
};

class KafkaBroker final : public detail::BrokerHandle {
 public:
  KafkaBroker(std::string name, net::Worker& worker, KafkaBrokerOptions opts);

  const char* kind() const override { return "kafka"; }
  void start() override;
  SubscriptionId subscribe(std::string_view pattern, MessageHandler handler,
                           SubscribeOptions opts) override;
  void unsubscribe(SubscriptionId id) override;
  void reply(const Message& request, Message reply, PublishCallback done) override;

  // Partitions the group currently assigns to this member (any thread).
  size_t assigned_partitions() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// NestJS Kafka transport header names.
namespace kafka_headers {
inline constexpr const char* kCorrelationId = "kafka_correlationId";
inline constexpr const char* kReplyTopic = "kafka_replyTopic";
inline constexpr const char* kReplyPartition = "kafka_replyPartition";
inline constexpr const char* kNestErr = "kafka_nest-err";
inline constexpr const char* kNestIsDisposed = "kafka_nest-is-disposed";
}  // namespace kafka_headers

// A valid Kafka topic name: 1..249 of [A-Za-z0-9._-].
bool valid_kafka_topic(std::string_view topic);

}  // namespace sb::inter_service
