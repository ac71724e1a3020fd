#pragma once
// What every broker implementation shares (internal; not part of the public
// interface): health and counters readable from any thread, the queue of
// user callbacks run on the worker (so stop() can flush it and nothing runs
// after), handler dispatch with acks, and the table of pending requests with
// their timeouts on the worker's timing wheel.
//
// An implementation derives its Impl from BrokerCore and its public class
// from BrokerHandle, which owns the Impl through a shared_ptr and forwards
// the Broker methods that are the same everywhere; everything posted to the
// worker holds a weak_ptr, so a broker can be destroyed while its worker
// still has work queued for it.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateways/inter_service/broker.hpp"

namespace sb::inter_service {

struct BrokerLimits {
  size_t max_payload_bytes = 1 << 20;  // outgoing: refused; incoming: counted bad, not delivered
  size_t max_pending_requests = 10000;
};

namespace detail {

using HandlerPtr = std::shared_ptr<const MessageHandler>;

// Out of line so this header does not pull in Asio.
void post_to_worker(net::Worker& w, std::function<void()> f);

class BrokerCore : public std::enable_shared_from_this<BrokerCore> {
 public:
  BrokerCore(std::string name, const char* kind, net::Worker& worker, BrokerLimits limits);
  virtual ~BrokerCore();
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  const std::string& name() const { return name_; }
  const char* kind() const { return kind_; }
  net::Worker& worker() const { return worker_; }
  const BrokerLimits& limits() const { return limits_; }

  // ---- any thread ----
  Health health() const;
  Counters counters() const;
  // Records a state change (logged). up after down counts a reconnection.
  void set_state(BrokerState s, std::string error = {});
  void set_error(std::string error);
  SubscriptionId next_subscription_id() { return next_sub_id_.fetch_add(1) + 1; }
  // Runs `f` on the worker and waits for it; inline when already on the worker
  // or when its loop has stopped. Never call with the loop not yet running.
  void run_sync(const std::function<void()>& f);
  // Posts `f(self)` to the worker, holding only a weak reference.
  template <class Self, class F>
  static void post(const std::shared_ptr<Self>& self, F&& f);

  // ---- worker thread only ----
  bool stopping() const { return stopping_; }
  // Queues a user callback that always runs, even during stop().
  void complete(std::function<void()> f);
  // Queues a message delivery; dropped once the broker is stopping.
  void deliver_later(std::function<void()> f);
  // Counts the result and queues `done(err)`.
  void finish_publish(PublishCallback done, Error err);
  // Checks what every broker refuses: not started, stopped, bad topic, too large.
  Error check_outgoing(const Message& m, bool started) const;
  bool oversized_incoming(size_t bytes, std::string_view topic);

  // Hands `msg` to the handlers (each gets its own Ack) on a later turn of the
  // loop; `done(outcome)` runs on the worker once all of them reported (the
  // worst outcome wins). Counts bad/failed, and received unless `first_receipt`
  // is false (a redelivery of a message already counted: see kafka_broker.hpp).
  using DoneFn = std::function<void(Outcome)>;
  void dispatch(Message msg, std::vector<HandlerPtr> handlers, DoneFn done = {},
                bool first_receipt = true);

  // Pending requests, keyed by correlation id or inbox token.
  // `done` is moved from only on success.
  Error add_request(const std::string& key, ReplyCallback& done, uint32_t timeout_ms,
                    std::function<void()> on_finish = {});
  // A request refused before it was sent: counts it and queues `done(err)`.
  void fail_request(ReplyCallback done, Error err);
  void note_received() { received_.fetch_add(1, std::memory_order_relaxed); }
  bool has_request(const std::string& key) const { return pending_.count(key) != 0; }
  // Completes the request (reply or error). False when unknown (late or foreign reply).
  // `count`: false when the error was already counted (a refused publish).
  bool finish_request(const std::string& key, Error err, Message reply = {}, bool count = true);
  // A random token for inboxes and correlation ids.
  std::string unique_token();

  // stop(): refuse new work, fail pending requests, run queued callbacks.
  void begin_stop();
  void finish_stop();

  // ---- each broker's own (worker thread), called by BrokerHandle ----
  virtual void do_publish(Message m, PublishCallback done) = 0;
  virtual void do_request(Message m, RequestOptions opts, ReplyCallback done) = 0;
  // Calls begin_stop() ... finish_stop(); nothing once stopped.
  virtual void do_stop() = 0;

  // Counts bad input and logs it (rate-limited: the first ten, then powers of two).
  void note_bad(std::string_view what);

 private:
  struct AckJoin;
  struct Pending {
    ReplyCallback done;
    std::function<void()> on_finish;
    uint64_t serial;
  };
  void schedule_drain();
  void drain();
  void ack_done(const std::shared_ptr<AckJoin>& join, Outcome o, std::string_view why);

  std::string name_;
  const char* kind_;
  net::Worker& worker_;
  BrokerLimits limits_;

  mutable std::mutex mu_;  // guards health_ and ever_up_
  Health health_;
  bool ever_up_ = false;

  std::atomic<uint64_t> published_{0}, refused_{0}, received_{0}, bad_{0}, failed_{0}, timeouts_{0};
  std::atomic<uint64_t> next_sub_id_{0};

  // Worker-only state.
  struct Task {
    std::function<void()> fn;
    bool always;  // completion (runs at stop) vs delivery (dropped at stop)
  };
  std::deque<Task> tasks_;
  bool drain_scheduled_ = false;
  bool stopping_ = false;
  std::unordered_map<std::string, Pending> pending_;
  uint64_t request_serial_ = 0;
  std::mt19937_64 rng_;
};

// The public side of a broker: owns its core and forwards what every broker
// does alike (publish and request run on the worker, stop() waits for it).
// Destroying it stops the broker.
class BrokerHandle : public Broker {
 public:
  explicit BrokerHandle(std::shared_ptr<BrokerCore> core) : core_(std::move(core)) {}
  ~BrokerHandle() override;

  const std::string& name() const final { return core_->name(); }
  net::Worker& worker() const final { return core_->worker(); }
  Health health() const final { return core_->health(); }
  Counters counters() const final { return core_->counters(); }
  void stop() final;
  void publish(Message msg, PublishCallback done) final;
  void request(Message msg, RequestOptions opts, ReplyCallback done) final;

 protected:
  // Throws std::invalid_argument for a pattern that is not valid topic syntax.
  static void check_pattern(std::string_view pattern);
  // Queues `done(err)` on the worker: a reply refused before it was sent.
  void refuse(PublishCallback done, Error err);

  std::shared_ptr<BrokerCore> core_;
};

template <class Self, class F>
void BrokerCore::post(const std::shared_ptr<Self>& self, F&& f) {
  std::weak_ptr<Self> weak = self;
  post_to_worker(self->worker(), [weak, f = std::forward<F>(f)]() mutable {
    if (auto s = weak.lock()) f(*s);
  });
}

}  // namespace detail
}  // namespace sb::inter_service
