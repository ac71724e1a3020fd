#include "gateways/inter_service/broker_core.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <stdexcept>

#include "gateways/inter_service/topic_pattern.hpp"
#include "net/timing_wheel.hpp"
#include "net/worker.hpp"

namespace sb::inter_service::detail {

using net::TimingWheel;

void post_to_worker(net::Worker& w, std::function<void()> f) {
  w.post(std::move(f));
}

// One message handed to N handlers: done once all N acked, worst outcome wins.
struct BrokerCore::AckJoin {
  size_t remaining;
  Outcome worst = Outcome::ok;
  std::string reason;
  std::string topic;
  DoneFn done;
};

BrokerCore::BrokerCore(std::string name, const char* kind, net::Worker& worker, BrokerLimits limits)
    : name_(std::move(name)),
      kind_(kind),
      worker_(worker),
      limits_(limits),
      rng_(std::random_device{}()) {
  health_.since_ms = TimingWheel::now_ms();
}

BrokerCore::~BrokerCore() = default;

Health BrokerCore::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

Counters BrokerCore::counters() const {
  Counters c;
  c.published = published_.load(std::memory_order_relaxed);
  c.refused = refused_.load(std::memory_order_relaxed);
  c.received = received_.load(std::memory_order_relaxed);
  c.bad = bad_.load(std::memory_order_relaxed);
  c.failed = failed_.load(std::memory_order_relaxed);
  c.timeouts = timeouts_.load(std::memory_order_relaxed);
  return c;
}

void BrokerCore::set_state(BrokerState s, std::string error) {
  std::lock_guard lock(mu_);
  if (!error.empty()) health_.last_error = std::move(error);
  if (health_.state == s) return;
  if (health_.state == BrokerState::stopped) return;  // final
  if (s == BrokerState::up) {
    if (ever_up_) ++health_.reconnects;
    ever_up_ = true;
  }
  health_.state = s;
  health_.since_ms = TimingWheel::now_ms();
  if (s == BrokerState::down)
    spdlog::warn("broker {} ({}): down: {}", name_, kind_, health_.last_error);
  else
    spdlog::info("broker {} ({}): {}", name_, kind_, state_name(s));
}

void BrokerCore::set_error(std::string error) {
  std::lock_guard lock(mu_);
  health_.last_error = std::move(error);
}

void BrokerCore::run_sync(const std::function<void()>& f) {
  // A loop that never ran (a server that failed to start) would never answer.
  if (worker_.in_this_thread() || worker_.io().stopped() || !worker_.loop_started()) {
    f();
    return;
  }
  std::promise<void> done;
  auto fut = done.get_future();
  worker_.post([&] {
    f();
    done.set_value();
  });
  fut.wait();
}

void BrokerCore::complete(std::function<void()> f) {
  tasks_.push_back(Task{std::move(f), true});
  schedule_drain();
}

void BrokerCore::deliver_later(std::function<void()> f) {
  if (stopping_) return;
  tasks_.push_back(Task{std::move(f), false});
  schedule_drain();
}

void BrokerCore::schedule_drain() {
  if (drain_scheduled_) return;
  drain_scheduled_ = true;
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  worker_.post([weak] {
    if (auto self = weak.lock()) self->drain();
  });
}

void BrokerCore::drain() {
  drain_scheduled_ = false;
  // Only what is queued now: callbacks that queue more get a later turn, so a
  // chatty handler cannot starve the loop.
  size_t n = tasks_.size();
  while (n-- > 0 && !tasks_.empty()) {
    Task t = std::move(tasks_.front());
    tasks_.pop_front();
    if (!t.always && stopping_) continue;
    try {
      t.fn();
    } catch (const std::exception& e) {
      spdlog::error("broker {}: callback threw: {}", name_, e.what());
    } catch (...) {
      spdlog::error("broker {}: callback threw", name_);
    }
  }
  if (!tasks_.empty()) schedule_drain();
}

void BrokerCore::finish_publish(PublishCallback done, Error err) {
  if (err)
    refused_.fetch_add(1, std::memory_order_relaxed);
  else
    published_.fetch_add(1, std::memory_order_relaxed);
  if (done) complete([done = std::move(done), err = std::move(err)] { done(err); });
}

Error BrokerCore::check_outgoing(const Message& m, bool started) const {
  if (stopping_) return {Errc::stopped, "broker " + name_ + " is stopped"};
  if (!started) return {Errc::not_started, "broker " + name_ + " is not started"};
  std::string why;
  if (!topic_pattern::valid_topic(m.topic, &why)) return {Errc::invalid_topic, why};
  if (m.payload.size() > limits_.max_payload_bytes)
    return {Errc::payload_too_large, std::to_string(m.payload.size()) + " bytes > limit of " +
                                         std::to_string(limits_.max_payload_bytes)};
  return {};
}

bool BrokerCore::oversized_incoming(size_t bytes, std::string_view topic) {
  if (bytes <= limits_.max_payload_bytes) return false;
  note_bad("oversized message on '" + std::string(topic) + "': " + std::to_string(bytes) +
           " bytes > " + std::to_string(limits_.max_payload_bytes));
  return true;
}

void BrokerCore::note_bad(std::string_view what) {
  const uint64_t n = bad_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n <= 10 || (n & (n - 1)) == 0) spdlog::warn("broker {}: bad message #{}: {}", name_, n, what);
}

void BrokerCore::dispatch(Message msg, std::vector<HandlerPtr> handlers, DoneFn done,
                          bool first_receipt) {
  if (first_receipt) note_received();
  if (handlers.empty()) {
    if (done) done(Outcome::ok);
    return;
  }
  auto join = std::make_shared<AckJoin>();
  join->remaining = handlers.size();
  join->topic = msg.topic;
  join->done = std::move(done);
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  deliver_later([weak, join, msg = std::move(msg), handlers = std::move(handlers)] {
    for (const auto& h : handlers) {
      Ack ack([weak, join](Outcome o, std::string_view why) {
        auto self = weak.lock();
        if (!self) return;
        net::Worker& w = self->worker();
        self.reset();
        w.dispatch([weak, join, o, why = std::string(why)] {
          if (auto s = weak.lock()) s->ack_done(join, o, why);
        });
      });
      try {
        (*h)(msg, std::move(ack));
      } catch (const std::exception& e) {
        spdlog::warn("broker handler for '{}' threw: {}", msg.topic, e.what());
      } catch (...) {
        spdlog::warn("broker handler for '{}' threw", msg.topic);
      }
    }
  });
}

void BrokerCore::ack_done(const std::shared_ptr<AckJoin>& join, Outcome o, std::string_view why) {
  if (o > join->worst) {
    join->worst = o;
    join->reason = why;
  }
  if (--join->remaining > 0) return;
  if (join->worst == Outcome::bad)
    note_bad("handler refused message on '" + join->topic + "': " + join->reason);
  if (join->worst == Outcome::failed) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("broker {}: handler failed on '{}': {}", name_, join->topic, join->reason);
  }
  if (join->done && !stopping_) join->done(join->worst);
}

void BrokerCore::fail_request(ReplyCallback done, Error err) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  if (done) complete([done = std::move(done), err = std::move(err)] { done(err, {}); });
}

Error BrokerCore::add_request(const std::string& key, ReplyCallback& done, uint32_t timeout_ms,
                              std::function<void()> on_finish) {
  if (pending_.size() >= limits_.max_pending_requests)
    return {Errc::too_many_requests, std::to_string(pending_.size()) + " requests pending"};
  if (pending_.count(key)) return {Errc::broker_error, "duplicate correlation id " + key};
  const uint64_t serial = ++request_serial_;
  pending_.emplace(key, Pending{std::move(done), std::move(on_finish), serial});
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  worker_.wheel().schedule_in(timeout_ms, [weak, key, serial, timeout_ms] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->pending_.find(key);
    if (it == self->pending_.end() || it->second.serial != serial) return;
    self->finish_request(key,
                         {Errc::timeout, "no reply within " + std::to_string(timeout_ms) + " ms"});
  });
  return {};
}

bool BrokerCore::finish_request(const std::string& key, Error err, Message reply, bool count) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return false;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (!count)
    ;
  else if (err.code == Errc::timeout)
    timeouts_.fetch_add(1, std::memory_order_relaxed);
  else if (err)
    refused_.fetch_add(1, std::memory_order_relaxed);
  if (p.on_finish) p.on_finish();
  complete([done = std::move(p.done), err = std::move(err), reply = std::move(reply)]() mutable {
    done(err, std::move(reply));
  });
  return true;
}

std::string BrokerCore::unique_token() {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s(22, '0');
  for (auto& c : s) c = kAlphabet[rng_() % 62];
  return s;
}

void BrokerCore::begin_stop() {
  stopping_ = true;
}

void BrokerCore::finish_stop() {
  stopping_ = true;
  std::vector<std::string> keys;
  keys.reserve(pending_.size());
  for (const auto& [k, _] : pending_) keys.push_back(k);
  for (const auto& k : keys) finish_request(k, {Errc::stopped, "broker " + name_ + " stopped"});
  // Run every queued completion now; deliveries are dropped.
  while (!tasks_.empty()) {
    Task t = std::move(tasks_.front());
    tasks_.pop_front();
    if (!t.always) continue;
    try {
      t.fn();
    } catch (...) {
      spdlog::error("broker {}: callback threw during stop", name_);
    }
  }
  set_state(BrokerState::stopped);
}

BrokerHandle::~BrokerHandle() {
  stop();
}

void BrokerHandle::stop() {
  auto core = core_;
  core->run_sync([core] { core->do_stop(); });
}

void BrokerHandle::publish(Message msg, PublishCallback done) {
  BrokerCore::post(core_, [m = std::move(msg), d = std::move(done)](BrokerCore& s) mutable {
    s.do_publish(std::move(m), std::move(d));
  });
}

void BrokerHandle::request(Message msg, RequestOptions opts, ReplyCallback done) {
  BrokerCore::post(
      core_, [m = std::move(msg), o = std::move(opts), d = std::move(done)](BrokerCore& s) mutable {
        s.do_request(std::move(m), std::move(o), std::move(d));
      });
}

void BrokerHandle::check_pattern(std::string_view pattern) {
  std::string why;
  if (!topic_pattern::valid_pattern(pattern, &why))
    throw std::invalid_argument("invalid pattern '" + std::string(pattern) + "': " + why);
}

void BrokerHandle::refuse(PublishCallback done, Error err) {
  BrokerCore::post(core_, [d = std::move(done), e = std::move(err)](BrokerCore& s) mutable {
    s.finish_publish(std::move(d), std::move(e));
  });
}

}  // namespace sb::inter_service::detail
