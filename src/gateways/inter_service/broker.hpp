#pragma once
// The one interface every inter-service transport implements (in-memory,
// Redis Pub/Sub, NATS, Kafka). Gateway code talks to `Broker` only, so a route
// or pattern handler works unchanged on any of them and several can run at once.
//
// Threading: every method may be called from any thread. Every callback
// (message handlers, publish/reply results, health changes seen through
// callbacks) runs on the broker's home worker, so gateway code never sees a
// library thread. A broker must be stopped (or destroyed) before its worker.
//
// Topics and patterns use NATS syntax on every broker: tokens separated by
// '.', `*` = exactly one token, `>` = one or more trailing tokens (see
// topic_pattern.hpp for the translation to Redis globs and Kafka regexes).
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::net {
class Worker;
}

namespace sb::inter_service {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One message, incoming or outgoing. Payload is opaque bytes: encodings
// (NestJS envelopes, JSON) belong to the layer above.
struct Message {
  // (The `{}` initializers let designated initializers omit members without
  // -Wmissing-field-initializers noise: `publish({.topic = t, .payload = p}, cb)`.)
  std::string topic{};     // concrete topic/subject/channel (never a pattern)
  std::string payload{};   // raw bytes
  std::string reply_to{};  // where a reply goes; empty when none (see README: per broker)
  Headers headers{};       // NATS and Kafka headers; Redis and memory carry them in-process only
  std::string key{};       // Kafka record key (ignored elsewhere)
  int32_t partition = -1;  // Kafka: partition received from / to produce to (-1: partitioner)
  int64_t offset = -1;     // Kafka: offset received from

  // First header with this name (case-sensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

enum class Errc {
  ok = 0,
  not_started,        // publish/request before start()
  stopped,            // the broker was stopped before the operation finished
  invalid_topic,      // empty, too long, control characters, or a wildcard in a concrete topic
  payload_too_large,  // over the broker's max_payload_bytes (or the server's limit)
  queue_full,         // the outage buffer is full: refused, not queued
  timeout,            // request: no reply in time
  no_responders,      // request: nobody is subscribed to the topic (memory, NATS)
  connection_lost,    // the connection dropped with the operation in flight: outcome unknown
  no_correlation_id,  // Redis request whose payload has no JSON "id" to match the reply by
  too_many_requests,  // request: max_pending_requests reached
  broker_error,       // anything else the server or the client library reported
};
const char* errc_name(Errc e);

struct Error {
  Errc code = Errc::ok;
  std::string detail{};  // human-readable, for logs

  explicit operator bool() const { return code != Errc::ok; }
  std::string to_string() const;  // "queue_full: outage buffer holds 100 messages"
};

// Result of a publish or reply: `!err` means the broker accepted it (see the
// README for what "accepted" means on each broker). Called exactly once.
using PublishCallback = std::function<void(const Error& err)>;
// Result of a request: the first reply, or why there is none. Called exactly once.
using ReplyCallback = std::function<void(const Error& err, Message reply)>;

// What a handler reports for one message. Kafka commits the offset only for
// `ok` and `bad` (a bad message is never retried: it would poison the
// partition); `failed` is redelivered after a backoff. The pub/sub brokers
// have no redelivery and only count the outcome.
enum class Outcome { ok, bad, failed };

// The handler's report, possibly sent later from any thread. Move-only; the
// first call wins. Dropping an Ack without calling it reports `ok` -- unless
// it is dropped while an exception unwinds (a throwing handler), which reports
// `failed`. So a synchronous handler may ignore it.
class Ack {
 public:
  using Fn = std::function<void(Outcome, std::string_view reason)>;
  Ack() = default;
  explicit Ack(Fn fn) : fn_(std::move(fn)) {}
  Ack(Ack&& o) noexcept : fn_(std::exchange(o.fn_, nullptr)) {}
  Ack& operator=(Ack&& o) noexcept;
  Ack(const Ack&) = delete;
  Ack& operator=(const Ack&) = delete;
  ~Ack();

  void ok() { finish(Outcome::ok, {}); }
  void bad(std::string_view why) { finish(Outcome::bad, why); }
  void fail(std::string_view why) { finish(Outcome::failed, why); }
  bool pending() const { return static_cast<bool>(fn_); }

 private:
  void finish(Outcome o, std::string_view why) noexcept;
  Fn fn_;
  int uncaught_ = std::uncaught_exceptions();
};

using MessageHandler = std::function<void(const Message& msg, Ack ack)>;
using SubscriptionId = uint64_t;

struct SubscribeOptions {
  // NATS queue group / memory: one member of the group gets each message.
  // Ignored by Redis (no such thing) and Kafka (the broker's group.id rules).
  std::string queue_group{};
};

struct RequestOptions {
  uint32_t timeout_ms = 5000;
  // Redis and Kafka match replies by id. Redis: taken from the payload's JSON
  // "id" when empty (the NestJS convention). Kafka: generated when empty.
  std::string correlation_id{};
};

enum class BrokerState { connecting, up, down, stopped };
const char* state_name(BrokerState s);

struct Health {
  BrokerState state = BrokerState::connecting;
  std::string last_error{};  // latest connection-level error, kept after recovery
  uint64_t reconnects = 0;   // successful reconnections after being up
  uint64_t since_ms = 0;     // monotonic ms (TimingWheel::now_ms) of the last state change
};

struct Counters {
  uint64_t published = 0;  // publishes and replies the broker accepted
  uint64_t refused = 0;    // publishes, replies and requests that got an error callback
  uint64_t received = 0;   // messages taken from the broker (incl. replies to our requests)
  uint64_t bad = 0;        // bad input: oversized, or a handler said bad()
  uint64_t failed = 0;     // handler failures: fail() or an exception
  uint64_t timeouts = 0;   // requests that timed out
};

class Broker {
 public:
  virtual ~Broker() = default;

  virtual const std::string& name() const = 0;
  virtual const char* kind() const = 0;  // "memory", "redis", "nats", "kafka"
  virtual net::Worker& worker() const = 0;

  // Connects in the background; health() tells how it goes. Subscriptions
  // made before start() are set up by it.
  virtual void start() = 0;
  // Disconnects. Before it returns, every pending publish/request callback has
  // run (with Errc::stopped when not completed); after it, no callback runs.
  virtual void stop() = 0;

  // `msg.topic` must be concrete. While the broker is down, publishes are
  // buffered up to a bound and sent on reconnect; beyond it they are refused.
  virtual void publish(Message msg, PublishCallback done) = 0;

  // Throws std::invalid_argument for an invalid pattern (config error, caught
  // at startup). Returns an id for unsubscribe(). Survives reconnections.
  virtual SubscriptionId subscribe(std::string_view pattern, MessageHandler handler,
                                   SubscribeOptions opts) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;

  // Publishes `msg` with a reply address and calls `done` with the first reply.
  virtual void request(Message msg, RequestOptions opts, ReplyCallback done) = 0;
  // Sends `reply` (its topic is ignored) to where `request` asked for replies.
  virtual void reply(const Message& request, Message reply, PublishCallback done) = 0;

  virtual Health health() const = 0;
  virtual Counters counters() const = 0;
};

}  // namespace sb::inter_service
