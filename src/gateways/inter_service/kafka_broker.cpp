#include "gateways/inter_service/kafka_broker.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "gateways/inter_service/kafka_offset_tracker.hpp"
#include "gateways/inter_service/topic_pattern.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

using detail::BrokerCore;
using detail::HandlerPtr;
namespace kh = kafka_headers;

bool valid_kafka_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249) return false;
  for (char c : topic)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

namespace {

Error error_of(rd_kafka_resp_err_t err) {
  std::string text = rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return {};
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return {Errc::queue_full, "the producer queue is full (Kafka unreachable or slow): " + text};
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return {Errc::payload_too_large, text};
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return {Errc::invalid_topic, text};
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__DESTROY:
      return {Errc::stopped, text};
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
      // Not acknowledged in time: it may or may not have been written.
      return {Errc::connection_lost, text};
    default:
      return {Errc::broker_error, text};
  }
}

std::string last_error_text(rd_kafka_resp_err_t err, const char* reason) {
  return std::string(rd_kafka_err2name(err)) + ": " + (reason ? reason : "");
}

// Runs blocking librdkafka calls (watermark look-ups) off the worker.
class BlockingRunner {
 public:
  ~BlockingRunner() { stop(); }
  void post(std::function<void()> f) {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    q_.push_back(std::move(f));
    if (!t_.joinable()) t_ = std::thread([this] { run(); });
    cv_.notify_one();
  }
  // Waits for the task in progress; drops the rest.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      q_.clear();
      cv_.notify_one();
    }
    if (t_.joinable()) t_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopped_ || !q_.empty(); });
      if (stopped_) return;
      auto f = std::move(q_.front());
      q_.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stopped_ = false;
  std::thread t_;
};

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  // Called on librdkafka threads; spdlog is thread-safe.
  const char* name = rd_kafka_name(rk);
  // Connection failures repeat at every reconnect attempt; health and its
  // last_error already say it once.
  if (std::strcmp(fac, "FAIL") == 0) level = std::max(level, 7);
  if (level <= 3)
    spdlog::error("librdkafka {} {}: {}", name, fac, buf);
  else if (level <= 4)
    spdlog::warn("librdkafka {} {}: {}", name, fac, buf);
  else if (level <= 6)
    spdlog::info("librdkafka {} {}: {}", name, fac, buf);
  else
    spdlog::debug("librdkafka {} {}: {}", name, fac, buf);
}

struct TplDeleter {
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
};
using Tpl = std::unique_ptr<rd_kafka_topic_partition_list_t, TplDeleter>;

Tpl one_partition(const std::string& topic, int32_t partition, int64_t offset) {
  Tpl l(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(l.get(), topic.c_str(), partition)->offset = offset;
  return l;
}

void log_error_obj(rd_kafka_error_t* e, const std::string& broker, const char* what) {
  if (!e) return;
  spdlog::warn("broker {}: {}: {}", broker, what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
}

}  // namespace

class KafkaBroker::Impl final : public BrokerCore {
 public:
  Impl(std::string name, net::Worker& w, KafkaBrokerOptions opts)
      : BrokerCore(std::move(name), "kafka", w, opts.limits), o(std::move(opts)) {}

  using Key = std::pair<std::string, int32_t>;  // topic, partition
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<std::string>()(k.first) * 31 + std::hash<int32_t>()(k.second);
    }
  };
  // One assigned partition. Acks and retries hold weak references: once the
  // partition is revoked, they are ignored (its new owner resumes from the
  // committed offset).
  struct Partition {
    std::string topic;
    int32_t partition;
    PartitionOffsets offsets;
    bool paused = false;
  };
  // One message kept for redelivery after a failure.
  struct Delivery {
    std::weak_ptr<Partition> part;
    Message msg;
    Backoff backoff;
  };
  struct Sub {
    std::string pattern;
    HandlerPtr handler;
  };
  // A reply topic partition our requests are answered on.
  struct ReplyTopic {
    bool ready = false;
    bool resolving = false;
    std::vector<std::pair<std::string, Message>> waiting;  // correlation id, request
  };
  // The librdkafka opaque: outlives the Impl when a consumer that could not
  // close in time is handed to a thread of its own (see close_consumer).
  struct Hooks {
    explicit Hooks(Impl* p) : impl(p) {}
    std::atomic<Impl*> impl;
  };
  enum class Q { producer, consumer, replies };
  struct Watch {
    rd_kafka_queue_t* q = nullptr;
    std::unique_ptr<boost::asio::posix::stream_descriptor> sd;
    bool drain_posted = false;
  };

  KafkaBrokerOptions o;
  std::shared_ptr<Hooks> hooks = std::make_shared<Hooks>(this);
  std::atomic<size_t> assigned{0};
  // Worker-only state.
  bool started = false;
  rd_kafka_t* producer = nullptr;
  rd_kafka_t* consumer = nullptr;
  rd_kafka_t* replies = nullptr;
  Watch watches[3];
  std::unordered_map<SubscriptionId, Sub> subs;
  bool resubscribe_posted = false;
  std::unordered_map<Key, std::shared_ptr<Partition>, KeyHash> parts;
  // Per partition ever assigned: one past the highest offset counted as
  // received. Kept across rebalances (one entry per partition: bounded), so a
  // redelivery of an offset this member already took is not counted again.
  std::unordered_map<Key, int64_t, KeyHash> counted_to;
  std::unordered_map<std::string, ReplyTopic> reply_topics;
  std::unordered_map<uint64_t, PublishCallback> in_flight;  // delivery report opaque -> callback
  uint64_t next_publish = 0;
  bool producer_up = false, consumer_up = false, ever_up = false, any_down = false;
  int64_t down_at_us = 0;  // when connections were last seen down (steady clock)
  BlockingRunner runner;

  std::shared_ptr<Impl> self() { return std::static_pointer_cast<Impl>(shared_from_this()); }

  // ---- setup ----

  bool set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK)
      return true;
    spdlog::error("broker {}: librdkafka property {}={}: {}", name(), k, v, err);
    set_error(std::string("bad property ") + k + ": " + err);
    return false;
  }

  rd_kafka_conf_t* base_conf(const std::map<std::string, std::string>& specific) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", o.brokers);
    set(conf, "client.id", o.client_id);
    set(conf, "statistics.interval.ms", std::to_string(o.health_interval_ms));
    rd_kafka_conf_set_opaque(conf, hooks.get());
    rd_kafka_conf_set_log_cb(conf, &log_cb);
    rd_kafka_conf_set_error_cb(conf, &Impl::on_error);
    rd_kafka_conf_set_stats_cb(conf, &Impl::on_stats);
    for (const auto& [k, v] : o.properties) set(conf, k, v);
    for (const auto& [k, v] : specific) set(conf, k, v);
    return conf;
  }

  rd_kafka_t* create(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      spdlog::error("broker {}: cannot create a Kafka client: {}", name(), err);
      set_state(BrokerState::down, err);
    }
    return rk;
  }

  void do_start() {
    if (started || stopping()) return;
    started = true;

    rd_kafka_conf_t* pc = base_conf(o.producer_properties);
    rd_kafka_conf_set_dr_msg_cb(pc, &Impl::on_delivery);
    set(pc, "queue.buffering.max.messages", std::to_string(o.max_queued_publishes));
    // The user's properties win over ours (set after base_conf applied them).
    for (const auto& [k, v] : o.properties) set(pc, k, v);
    for (const auto& [k, v] : o.producer_properties) set(pc, k, v);
    producer = create(RD_KAFKA_PRODUCER, pc);

    rd_kafka_conf_t* cc = base_conf(o.consumer_properties);
    set(cc, "group.id", o.group_id);
    set(cc, "enable.auto.offset.store", "false");  // stored by us, after the handlers' acks
    set(cc, "enable.auto.commit", "true");         // commits what we stored
    set(cc, "auto.commit.interval.ms", std::to_string(o.commit_interval_ms));
    set(cc, "auto.offset.reset", o.auto_offset_reset);
    set(cc, "enable.partition.eof", "false");
    rd_kafka_conf_set_rebalance_cb(cc, &Impl::on_rebalance);
    for (const auto& [k, v] : o.properties) set(cc, k, v);
    for (const auto& [k, v] : o.consumer_properties) set(cc, k, v);
    consumer = create(RD_KAFKA_CONSUMER, cc);

    if (!producer || !consumer) return;
    rd_kafka_poll_set_consumer(consumer);
    watch(Q::producer, rd_kafka_queue_get_main(producer));
    watch(Q::consumer, rd_kafka_queue_get_consumer(consumer));
    resubscribe();
    keepalive();
  }

  // librdkafka counts a consumer that has not polled for max.poll.interval.ms
  // as stuck and takes it out of the group, and we poll only when a queue
  // signals: on a quiet topic with statistics off, nothing would. So poll
  // every second anyway.
  void keepalive() {
    std::weak_ptr<Impl> weak = self();
    worker().wheel().schedule_in(1000, [weak] {
      auto s = weak.lock();
      if (!s || s->stopping()) return;
      s->drain(Q::producer);
      s->drain(Q::consumer);
      if (s->replies) s->drain(Q::replies);
      s->keepalive();
    });
  }

  // The reply consumer, created with the first request (a gateway that never
  // requests holds no connections for it). Assigned by hand and never
  // commits; librdkafka wants a group id for assign() and consumer_poll() all
  // the same.
  bool ensure_replies() {
    if (replies) return true;
    rd_kafka_conf_t* rc = base_conf(o.consumer_properties);
    set(rc, "group.id", o.group_id + ".replies." + unique_token());
    set(rc, "enable.auto.commit", "false");
    set(rc, "enable.partition.eof", "false");
    set(rc, "statistics.interval.ms", "0");
    replies = create(RD_KAFKA_CONSUMER, rc);
    if (!replies) return false;
    rd_kafka_poll_set_consumer(replies);
    watch(Q::replies, rd_kafka_queue_get_consumer(replies));
    return true;
  }

  // ---- queue events on the worker loop ----

  void watch(Q which, rd_kafka_queue_t* q) {
    Watch& w = watches[static_cast<int>(which)];
    w.q = q;
    const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error("eventfd failed");
    static constexpr uint64_t kOne = 1;  // eventfd takes 8-byte writes
    rd_kafka_queue_io_event_enable(q, fd, &kOne, sizeof kOne);
    w.sd = std::make_unique<boost::asio::posix::stream_descriptor>(worker().io(), fd);
    arm(which);
    post_drain(which);  // anything queued before the fd was set
  }

  void arm(Q which) {
    Watch& w = watches[static_cast<int>(which)];
    std::weak_ptr<Impl> weak = self();
    w.sd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [weak, which](const boost::system::error_code& ec) {
                       auto s = weak.lock();
                       if (ec || !s || s->stopping()) return;
                       Watch& w = s->watches[static_cast<int>(which)];
                       uint64_t n;
                       const ssize_t r = ::read(w.sd->native_handle(), &n, sizeof n);
                       (void)r;  // EAGAIN is a spurious wake-up: fine
                       s->drain(which);
                       s->arm(which);
                     });
  }

  void post_drain(Q which) {
    Watch& w = watches[static_cast<int>(which)];
    if (w.drain_posted) return;
    w.drain_posted = true;
    BrokerCore::post(self(), [which](Impl& s) {
      s.watches[static_cast<int>(which)].drain_posted = false;
      s.drain(which);
    });
  }

  // Serves a queue until it is empty or the budget is spent. The eventfd only
  // fires when an empty queue gets an element, so whatever is left (budget
  // spent, or a poll that returned early: librdkafka may yield after a
  // callback) is served on a later turn we post ourselves -- else the queue
  // would never be empty again and never signal again.
  void drain(Q which) {
    if (stopping()) return;
    Watch& w = watches[static_cast<int>(which)];
    const size_t before = w.q ? rd_kafka_queue_length(w.q) : 0;
    int budget = 500;
    switch (which) {
      case Q::producer:
        while (budget > 0 && producer) {
          const int n = rd_kafka_poll(producer, 0);
          if (n <= 0) break;
          budget -= n;
        }
        break;
      case Q::consumer:
      case Q::replies:
        while (budget-- > 0) {
          rd_kafka_t* rk = which == Q::consumer ? consumer : replies;
          if (!rk || stopping()) return;
          rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 0);
          if (!m) break;
          if (which == Q::consumer)
            on_message(m);
          else
            on_reply_message(m);
          rd_kafka_message_destroy(m);
        }
        break;
    }
    // (Only after progress: the keepalive tick retries a queue stuck otherwise,
    // without spinning the worker.)
    if (stopping() || !w.q) return;
    const size_t after = rd_kafka_queue_length(w.q);
    if (after > 0 && (budget <= 0 || after < before || budget < 499)) post_drain(which);
  }

  // ---- librdkafka callbacks (run inside our polls, on the worker) ----

  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    Impl* s = static_cast<Hooks*>(opaque)->impl;
    if (!s) return;
    const auto e = static_cast<rd_kafka_resp_err_t>(err);
    std::string text = last_error_text(e, reason);
    if (rk == s->replies) {
      spdlog::debug("broker {}: reply consumer: {}", s->name(), text);
      return;
    }
    if (e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      // Both clients talk to the same cluster: the other one's connections
      // are going too, and its statistics taken before now are stale.
      s->producer_up = s->consumer_up = false;
      s->down_at_us = now_us();
      s->any_down = true;
      s->update_health(std::move(text));
      return;
    }
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_fatal_error(rk, buf, sizeof buf);
      s->any_down = true;
      (rk == s->producer ? s->producer_up : s->consumer_up) = false;
      s->update_health(std::string("fatal: ") + buf);
      return;
    }
    spdlog::debug("broker {}: {}", s->name(), text);
    s->set_error(std::move(text));
  }

  // Statistics tell whether any broker connection is up (the internal and
  // logical brokers do not count).
  static int on_stats(rd_kafka_t* rk, char* json, size_t len, void* opaque) {
    Impl* s = static_cast<Hooks*>(opaque)->impl;
    if (!s) return 0;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(std::string_view(json, len), ec);
    if (ec || !v.is_object()) return 0;
    bool up = false;
    const auto* ts = v.as_object().if_contains("ts");  // rd_clock(): CLOCK_MONOTONIC, us
    const int64_t taken = ts && ts->is_int64() ? ts->as_int64() : now_us();
    if (const auto* brokers = v.as_object().if_contains("brokers"); brokers && brokers->is_object())
      for (const auto& [_, b] : brokers->as_object()) {
        if (!b.is_object()) continue;
        const auto* state = b.as_object().if_contains("state");
        const auto* source = b.as_object().if_contains("source");
        if (source && source->is_string() &&
            (source->as_string() == "internal" || source->as_string() == "logical"))
          continue;
        if (state && state->is_string() && state->as_string() == "UP") up = true;
      }
    if (up && taken < s->down_at_us) return 0;  // from before the outage was seen
    if (!up) s->down_at_us = std::max(s->down_at_us, taken);
    if (rk == s->producer)
      s->producer_up = up;
    else if (rk == s->consumer)
      s->consumer_up = up;
    else
      return 0;
    s->update_health(up ? std::string() : "no connection to any Kafka broker");
    return 0;  // we do not keep the buffer
  }

  void update_health(std::string error) {
    if (stopping()) return;
    // Either handle's connection proves the cluster reachable: an idle
    // producer may hold no connection at all (librdkafka connects on demand).
    if (producer_up || consumer_up) {
      ever_up = true;
      set_state(BrokerState::up);
    } else if (ever_up || any_down) {
      set_state(BrokerState::down, std::move(error));
    } else if (!error.empty()) {
      set_error(std::move(error));
    }
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    Impl* s = static_cast<Hooks*>(opaque)->impl;
    if (!s) return;
    auto it = s->in_flight.find(reinterpret_cast<uintptr_t>(m->_private));
    if (it == s->in_flight.end()) return;
    PublishCallback done = std::move(it->second);
    s->in_flight.erase(it);
    Error e = error_of(m->err);
    if (e && m->rkt) e.detail = std::string(rd_kafka_topic_name(m->rkt)) + ": " + e.detail;
    s->finish_publish(std::move(done), std::move(e));
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* list, void* opaque) {
    Impl* s = static_cast<Hooks*>(opaque)->impl;
    const bool coop = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (!s) {  // a consumer still closing after stop(): just let go
      if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, list));
      else
        rd_kafka_assign(rk, nullptr);
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < list->cnt; ++i) {
        const auto& tp = list->elems[i];
        auto p = std::make_shared<Partition>();
        p->topic = tp.topic;
        p->partition = tp.partition;
        s->parts[{tp.topic, tp.partition}] = std::move(p);
      }
      if (coop)
        log_error_obj(rd_kafka_incremental_assign(rk, list), s->name(), "assign");
      else
        rd_kafka_assign(rk, list);
    } else {
      // Stored offsets of revoked partitions are committed by librdkafka
      // (auto-commit); what is still in flight will be redelivered to the
      // partition's next owner.
      for (int i = 0; i < list->cnt; ++i)
        s->parts.erase({list->elems[i].topic, list->elems[i].partition});
      if (coop) {
        log_error_obj(rd_kafka_incremental_unassign(rk, list), s->name(), "unassign");
      } else {
        rd_kafka_assign(rk, nullptr);
        s->parts.clear();
      }
    }
    s->assigned.store(s->parts.size());
    spdlog::info("broker {}: {} {} partition(s); {} assigned", s->name(),
                 err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned" : "revoked", list->cnt,
                 s->parts.size());
  }

  // ---- consuming ----

  static Message to_message(const rd_kafka_message_t* m) {
    Message msg;
    msg.topic = rd_kafka_topic_name(m->rkt);
    msg.partition = m->partition;
    msg.offset = m->offset;
    if (m->payload) msg.payload.assign(static_cast<const char*>(m->payload), m->len);
    if (m->key) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0;
           rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i)
        msg.headers.emplace_back(
            name, value ? std::string(static_cast<const char*>(value), size) : std::string());
    }
    // A NestJS-style request: the handler may reply().
    if (msg.header(kh::kCorrelationId))
      if (const std::string* rt = msg.header(kh::kReplyTopic)) msg.reply_to = *rt;
    return msg;
  }

  void consumer_error(const rd_kafka_message_t* m) {
    std::string text = std::string(rd_kafka_err2name(m->err)) + ": " + rd_kafka_message_errstr(m);
    if (m->rkt) text = std::string(rd_kafka_topic_name(m->rkt)) + ": " + text;
    spdlog::warn("broker {}: consumer: {}", name(), text);
    set_error(std::move(text));
  }

  std::vector<HandlerPtr> handlers_for(const std::string& topic) const {
    std::vector<HandlerPtr> hs;
    for (const auto& [_, sub] : subs)
      if (topic_pattern::matches(sub.pattern, topic)) hs.push_back(sub.handler);
    return hs;
  }

  void on_message(rd_kafka_message_t* m) {
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) consumer_error(m);
      return;
    }
    const std::string topic = rd_kafka_topic_name(m->rkt);
    auto& slot = parts[{topic, m->partition}];
    if (!slot) {  // not announced by a rebalance (should not happen): track it anyway
      slot = std::make_shared<Partition>();
      slot->topic = topic;
      slot->partition = m->partition;
    }
    std::shared_ptr<Partition> part = slot;
    part->offsets.delivered(m->offset);
    const bool first = first_receipt(topic, m->partition, m->offset);
    if (m->len > limits().max_payload_bytes) {
      if (first) {  // counted once, like any message
        note_received();
        oversized_incoming(m->len, topic);
      }
      return finished(*part, m->offset);  // bad: never retried
    }
    if (part->offsets.in_flight() >= o.max_in_flight_per_partition && !part->paused) {
      pause(*part, true);
    }
    auto d = std::make_shared<Delivery>(Delivery{part, to_message(m), Backoff(o.retry)});
    deliver(std::move(d), first);
  }

  // True the first time this member takes `offset` of topic[partition]; false
  // for a redelivery (the consumer fetched from an older committed position
  // after a rebalance, or was sent back by a seek).
  bool first_receipt(const std::string& topic, int32_t partition, int64_t offset) {
    int64_t& next = counted_to[{topic, partition}];
    if (offset < next) return false;
    next = offset + 1;
    return true;
  }

  // `first`: counts as received (a retry after a failed handler does not).
  void deliver(std::shared_ptr<Delivery> d, bool first) {
    std::weak_ptr<Impl> weak = self();
    auto hs = handlers_for(d->msg.topic);
    Message copy = d->msg;  // the original stays for a redelivery
    dispatch(
        std::move(copy), std::move(hs),
        [weak, d](Outcome outcome) {
          auto s = weak.lock();
          auto part = d->part.lock();
          if (!s || !part || s->stopping()) return;  // revoked or stopped: redelivered elsewhere
          if (outcome == Outcome::failed) return s->retry_later(d);
          s->finished(*part, d->msg.offset);
        },
        first);
  }

  void retry_later(std::shared_ptr<Delivery> d) {
    const uint32_t delay = d->backoff.next();
    std::weak_ptr<Impl> weak = self();
    worker().wheel().schedule_in(delay, [weak, d] {
      auto s = weak.lock();
      if (!s || s->stopping() || d->part.expired()) return;
      s->deliver(d, /*first=*/false);
    });
  }

  void finished(Partition& p, int64_t offset) {
    if (auto pos = p.offsets.done(offset)) {
      Tpl l = one_partition(p.topic, p.partition, *pos);
      const rd_kafka_resp_err_t e = rd_kafka_offsets_store(consumer, l.get());
      if (e || l->elems[0].err)
        spdlog::debug("broker {}: store offset {} of {}[{}]: {}", name(), *pos, p.topic,
                      p.partition, rd_kafka_err2str(e ? e : l->elems[0].err));
    }
    if (p.paused && p.offsets.in_flight() <= o.max_in_flight_per_partition / 2) pause(p, false);
  }

  void pause(Partition& p, bool on) {
    Tpl l = one_partition(p.topic, p.partition, RD_KAFKA_OFFSET_INVALID);
    const rd_kafka_resp_err_t e = on ? rd_kafka_pause_partitions(consumer, l.get())
                                     : rd_kafka_resume_partitions(consumer, l.get());
    if (e) return;
    p.paused = on;
    spdlog::info("broker {}: {} {}[{}] ({} messages unfinished)", name(), on ? "paused" : "resumed",
                 p.topic, p.partition, p.offsets.in_flight());
  }

  // Subscribes the group consumer to the union of our patterns: literal
  // topics by name, wildcard patterns as regexes. Coalesced: one
  // (re)subscription per loop turn however many subscribe() calls came.
  void schedule_resubscribe() {
    if (resubscribe_posted || !started) return;
    resubscribe_posted = true;
    BrokerCore::post(self(), [](Impl& s) {
      s.resubscribe_posted = false;
      s.resubscribe();
    });
  }

  void resubscribe() {
    if (!consumer || stopping()) return;
    std::vector<std::string> topics;
    for (const auto& [_, sub] : subs) {
      std::string t = topic_pattern::is_literal(sub.pattern)
                          ? sub.pattern
                          : topic_pattern::to_kafka_regex(sub.pattern);
      if (std::find(topics.begin(), topics.end(), t) == topics.end())
        topics.push_back(std::move(t));
    }
    if (topics.empty()) {
      rd_kafka_unsubscribe(consumer);
      return;
    }
    Tpl l(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics)
      rd_kafka_topic_partition_list_add(l.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (const rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer, l.get())) {
      spdlog::error("broker {}: subscribe: {}", name(), rd_kafka_err2str(e));
      set_error(std::string("subscribe: ") + rd_kafka_err2str(e));
    }
  }

  // ---- producing ----

  Error check(const Message& m) {
    if (Error e = check_outgoing(m, started)) return e;
    if (!valid_kafka_topic(m.topic))
      return {Errc::invalid_topic,
              "'" + m.topic + "' is not a Kafka topic name ([A-Za-z0-9._-], at most 249)"};
    if (!producer) return {Errc::broker_error, "no Kafka producer (configuration error)"};
    return {};
  }

  void produce(const Message& m, PublishCallback done) {
    if (Error e = check(m)) return finish_publish(std::move(done), std::move(e));
    rd_kafka_headers_t* hdrs = nullptr;
    if (!m.headers.empty()) {
      hdrs = rd_kafka_headers_new(m.headers.size());
      for (const auto& [k, v] : m.headers)
        rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
    }
    const uint64_t id = ++next_publish;
    // rd_kafka_produceva, not the RD_KAFKA_V_* macros: those use GNU statement
    // expressions, which -Wpedantic flags under clang.
    rd_kafka_vu_t vu[7];
    vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[0].u.cstr = m.topic.c_str();
    vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[1].u.i32 = m.partition;
    vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[2].u.mem.ptr = const_cast<char*>(m.payload.data());
    vu[2].u.mem.size = m.payload.size();
    vu[3].vtype = RD_KAFKA_VTYPE_KEY;
    vu[3].u.mem.ptr = m.key.empty() ? nullptr : const_cast<char*>(m.key.data());
    vu[3].u.mem.size = m.key.size();
    vu[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[4].u.i = RD_KAFKA_MSG_F_COPY;
    vu[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[5].u.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
    vu[6].vtype = RD_KAFKA_VTYPE_HEADERS;
    vu[6].u.headers = hdrs;
    rd_kafka_error_t* perr = rd_kafka_produceva(producer, vu, 7);
    const rd_kafka_resp_err_t e = perr ? rd_kafka_error_code(perr) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (perr) rd_kafka_error_destroy(perr);
    if (e) {
      if (hdrs) rd_kafka_headers_destroy(hdrs);  // ours again on failure
      Error err = error_of(e);
      err.detail = m.topic + ": " + err.detail;
      return finish_publish(std::move(done), std::move(err));
    }
    in_flight.emplace(id, std::move(done));
  }

  // ---- requests ----

  void do_publish(Message m, PublishCallback done) override { produce(m, std::move(done)); }

  void do_request(Message m, RequestOptions ro, ReplyCallback done) override {
    if (Error e = check(m)) return fail_request(std::move(done), e);
    const std::string reply_topic = m.topic + o.reply_suffix;
    if (!valid_kafka_topic(reply_topic))
      return fail_request(std::move(done), {Errc::invalid_topic, "reply topic " + reply_topic});
    std::string id = ro.correlation_id.empty() ? unique_token() : ro.correlation_id;
    if (Error e = add_request(id, done, ro.timeout_ms)) return fail_request(std::move(done), e);
    std::erase_if(m.headers, [](const auto& h) {
      return h.first == kh::kCorrelationId || h.first == kh::kReplyTopic ||
             h.first == kh::kReplyPartition;
    });
    m.headers.emplace_back(kh::kCorrelationId, id);
    m.headers.emplace_back(kh::kReplyTopic, reply_topic);
    m.headers.emplace_back(kh::kReplyPartition, std::to_string(o.reply_partition));
    ReplyTopic& rt = reply_topics[reply_topic];
    if (rt.ready) return send_request(id, m);
    rt.waiting.emplace_back(std::move(id), std::move(m));
    if (!rt.resolving) resolve_reply_topic(reply_topic);
  }

  void send_request(const std::string& id, const Message& m) {
    if (!has_request(id)) return;  // timed out meanwhile
    produce(m, [this, id](const Error& e) {
      if (e) finish_request(id, e, {}, /*count=*/false);
    });
  }

  // Looks up the reply partition's end offset (a blocking call, off the
  // worker) and assigns it from there: every reply produced after the lookup
  // is read. Requests wait for it, so none can be answered before we listen.
  void resolve_reply_topic(const std::string& topic) {
    if (!ensure_replies()) return reply_topic_resolved(topic, RD_KAFKA_RESP_ERR__INVALID_ARG, 0);
    reply_topics[topic].resolving = true;
    std::weak_ptr<Impl> weak = self();
    rd_kafka_t* rk = replies;
    const int32_t partition = o.reply_partition;
    auto* w = &worker();
    runner.post([weak, rk, topic, partition, w] {
      int64_t lo = 0, hi = 0;
      const rd_kafka_resp_err_t e =
          rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &lo, &hi, 2000);
      w->post([weak, topic, e, hi] {
        if (auto s = weak.lock()) s->reply_topic_resolved(topic, e, hi);
      });
    });
  }

  void reply_topic_resolved(const std::string& topic, rd_kafka_resp_err_t e, int64_t hi) {
    if (stopping()) return;
    auto it = reply_topics.find(topic);
    if (it == reply_topics.end()) return;
    auto waiting = std::move(it->second.waiting);
    if (e) {
      reply_topics.erase(it);  // the next request tries again
      const Error err{Errc::broker_error, "reply topic " + topic + "[" +
                                              std::to_string(o.reply_partition) +
                                              "]: " + rd_kafka_err2str(e)};
      for (auto& [id, _] : waiting) finish_request(id, err);
      return;
    }
    Tpl l = one_partition(topic, o.reply_partition, hi);
    if (rd_kafka_error_t* ae = rd_kafka_incremental_assign(replies, l.get())) {
      const Error err{Errc::broker_error,
                      std::string("assign ") + topic + ": " + rd_kafka_error_string(ae)};
      rd_kafka_error_destroy(ae);
      reply_topics.erase(it);
      for (auto& [id, _] : waiting) finish_request(id, err);
      return;
    }
    it->second.ready = true;
    it->second.resolving = false;
    for (auto& [id, m] : waiting) send_request(id, m);
  }

  void on_reply_message(rd_kafka_message_t* m) {
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) consumer_error(m);
      return;
    }
    // Cheap check first: most replies on a shared partition are someone else's.
    rd_kafka_headers_t* hdrs = nullptr;
    const void* v = nullptr;
    size_t n = 0;
    if (rd_kafka_message_headers(m, &hdrs) ||
        rd_kafka_header_get_last(hdrs, kh::kCorrelationId, &v, &n) || !v)
      return;
    const std::string id(static_cast<const char*>(v), n);
    if (!has_request(id)) return;
    if (m->len > limits().max_payload_bytes) {
      finish_request(id,
                     {Errc::payload_too_large, "reply of " + std::to_string(m->len) + " bytes"});
      return;
    }
    note_received();
    finish_request(id, {}, to_message(m));
  }

  // ---- lifecycle ----

  void unwatch() {
    for (auto& w : watches) {
      if (w.q) {
        rd_kafka_queue_io_event_enable(w.q, -1, nullptr, 0);
        rd_kafka_queue_destroy(w.q);
        w.q = nullptr;
      }
      if (w.sd) {
        boost::system::error_code ec;
        w.sd->close(ec);
        w.sd.reset();
      }
    }
  }

  // Leaves the group (committing the stored offsets) within the deadline;
  // rebalance callbacks run here, on this thread.
  void close_consumer(rd_kafka_t*& rk, std::chrono::steady_clock::time_point deadline) {
    if (!rk) return;
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    bool closed = false;
    if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk, q)) {
      log_error_obj(e, name(), "close");
    } else {
      while (!(closed = rd_kafka_consumer_closed(rk)) &&
             std::chrono::steady_clock::now() < deadline)
        rd_kafka_queue_poll_callback(q, 50);
    }
    if (closed) {
      rd_kafka_queue_destroy(q);
      rd_kafka_destroy(rk);
    } else {
      // Destroying a consumer in the middle of its close spins in librdkafka
      // 2.0 until the close completes, which needs the queue served: a thread
      // of its own finishes the job without holding up stop() (the callbacks
      // see no Impl by then).
      spdlog::warn("broker {}: consumer did not close in time; closing in the background", name());
      hooks->impl = nullptr;  // from here on, callbacks leave us alone
      std::thread([rk, q, h = hooks] {
        while (!rd_kafka_consumer_closed(rk)) rd_kafka_queue_poll_callback(q, 100);
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
      }).detach();
    }
    rk = nullptr;
  }

  void do_stop() override {
    if (health().state == BrokerState::stopped) return;
    begin_stop();
    runner.stop();  // before the handle it uses goes
    unwatch();
    // Half the time for the publishes, the rest (at least half) to leave the group.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(o.stop_timeout_ms);
    if (producer) {
      // Delivery reports served by flush run our callback: accepted or not.
      rd_kafka_flush(producer, static_cast<int>(o.stop_timeout_ms / 2));
      rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(producer, 0);
    }
    for (auto& [_, done] : in_flight)
      finish_publish(std::move(done), {Errc::stopped, "broker " + name() + " stopped"});
    in_flight.clear();
    close_consumer(consumer, deadline);
    close_consumer(replies, deadline);
    if (producer) rd_kafka_destroy(producer);
    producer = nullptr;
    hooks->impl = nullptr;
    parts.clear();
    counted_to.clear();
    assigned.store(0);
    reply_topics.clear();
    subs.clear();
    finish_stop();
  }
};

KafkaBroker::KafkaBroker(std::string name, net::Worker& worker, KafkaBrokerOptions opts)
    : BrokerHandle(std::make_shared<Impl>(std::move(name), worker, std::move(opts))),
      impl_(std::static_pointer_cast<Impl>(core_)) {}

size_t KafkaBroker::assigned_partitions() const {
  return impl_->assigned.load();
}

void KafkaBroker::start() {
  BrokerCore::post(impl_, [](Impl& s) { s.do_start(); });
}

SubscriptionId KafkaBroker::subscribe(std::string_view pattern, MessageHandler handler,
                                      SubscribeOptions) {
  check_pattern(pattern);
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(
      impl_, [id, p = std::string(pattern),
              h = std::make_shared<const MessageHandler>(std::move(handler))](Impl& s) mutable {
        if (s.stopping()) return;
        s.subs.emplace(id, Impl::Sub{std::move(p), std::move(h)});
        s.schedule_resubscribe();
      });
  return id;
}

void KafkaBroker::unsubscribe(SubscriptionId id) {
  BrokerCore::post(impl_, [id](Impl& s) {
    if (s.subs.erase(id)) s.schedule_resubscribe();
  });
}

void KafkaBroker::reply(const Message& request, Message reply, PublishCallback done) {
  std::string topic = request.reply_to;
  if (topic.empty())
    if (const std::string* rt = request.header(kh::kReplyTopic)) topic = *rt;
  if (topic.empty())
    return refuse(std::move(done), {Errc::invalid_topic, "the request has no reply topic"});
  reply.topic = std::move(topic);
  reply.reply_to.clear();
  reply.partition = -1;
  if (const std::string* p = request.header(kh::kReplyPartition)) {
    try {
      reply.partition = std::stoi(*p);
    } catch (...) {
      // Not a number: let the partitioner choose.
    }
  }
  auto has = [&](const char* h) { return reply.header(h) != nullptr; };
  if (const std::string* id = request.header(kh::kCorrelationId); id && !has(kh::kCorrelationId))
    reply.headers.emplace_back(kh::kCorrelationId, *id);
  // NestJS completes the caller's observable on this header (value: one zero byte).
  if (!has(kh::kNestIsDisposed) && !has(kh::kNestErr))
    reply.headers.emplace_back(kh::kNestIsDisposed, std::string(1, '\0'));
  publish(std::move(reply), std::move(done));
}

}  // namespace sb::inter_service
