#include "gateways/inter_service/redis_broker.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "gateways/inter_service/redis_asio_adapter.hpp"
#include "gateways/inter_service/topic_pattern.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

using detail::BrokerCore;
using detail::HandlerPtr;

std::string json_id_of(std::string_view payload) {
  if (payload.empty() || payload.front() != '{') return {};
  boost::json::parse_options po;
  po.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec, {}, po);
  if (ec || !v.is_object()) return {};
  const boost::json::value* id = v.as_object().if_contains("id");
  if (!id) return {};
  if (id->is_string()) return std::string(id->as_string());
  if (id->is_int64()) return std::to_string(id->as_int64());
  if (id->is_uint64()) return std::to_string(id->as_uint64());
  return {};
}

class RedisBroker::Impl final : public BrokerCore {
 public:
  Impl(std::string name, net::Worker& w, RedisBrokerOptions opts)
      : BrokerCore(std::move(name), "redis", w, opts.limits),
        o(std::move(opts)),
        pub{this, false, "publish connection", Backoff(o.reconnect)},
        sub{this, true, "subscribe connection", Backoff(o.reconnect)} {
    if (!o.correlation_id) o.correlation_id = json_id_of;
  }

  struct Conn {
    Impl* owner;
    bool is_sub;
    const char* label;
    Backoff backoff;
    redisAsyncContext* ac = nullptr;
    bool ready = false;    // answered PING (after AUTH)
    uint64_t attempt = 0;  // guards the connect-timeout timer
  };
  // One SUBSCRIBE or PSUBSCRIBE, shared by every subscription that maps to it
  // and by pending requests waiting for replies on it.
  struct Channel {
    bool glob = false;
    std::string name;  // as sent to Redis
    std::vector<SubscriptionId> subs;
    size_t reply_refs = 0;
    bool confirmed = false;
    std::vector<std::function<void()>> on_confirmed;
  };
  struct Sub {
    std::string pattern;
    std::string key;
    HandlerPtr handler;
    bool raw = false;  // subscribe_glob: every pmessage of the glob
  };
  struct Queued {
    Message m;
    PublishCallback done;
  };
  struct PendingPublish {
    Impl* owner;
    PublishCallback done;
  };

  RedisBrokerOptions o;
  Conn pub, sub;
  bool started = false;
  bool up = false;
  std::map<std::string, Channel> channels;  // "c:<channel>" or "p:<glob>"
  std::unordered_map<SubscriptionId, Sub> subs;
  std::deque<Queued> queue;

  Conn& conn(bool is_sub) { return is_sub ? sub : pub; }
  std::shared_ptr<Impl> self() { return std::static_pointer_cast<Impl>(shared_from_this()); }

  // ---- connections ----

  void connect(Conn& c) {
    if (stopping() || c.ac) return;
    const uint64_t attempt = ++c.attempt;
    redisAsyncContext* ac = redisAsyncConnect(o.host.c_str(), o.port);
    if (!ac) return conn_lost(c, "out of memory");
    if (ac->err) {
      std::string e = ac->errstr;
      redisAsyncFree(ac);
      return conn_lost(c, e);
    }
    ac->data = &c;
    detail::attach_to_asio(ac, worker().io());
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);
    c.ac = ac;
    // hiredis queues these until the socket connects.
    if (!o.password.empty()) {
      std::vector<const char*> argv{"AUTH"};
      std::vector<size_t> len{4};
      if (!o.username.empty()) {
        argv.push_back(o.username.data());
        len.push_back(o.username.size());
      }
      argv.push_back(o.password.data());
      len.push_back(o.password.size());
      redisAsyncCommandArgv(ac, &Impl::on_hello, &c, static_cast<int>(argv.size()), argv.data(),
                            len.data());
    }
    redisAsyncCommand(ac, &Impl::on_hello, &c, "PING");
    std::weak_ptr<Impl> weak = self();
    const bool is_sub = c.is_sub;
    worker().wheel().schedule_in(o.connect_timeout_ms, [weak, is_sub, attempt] {
      auto s = weak.lock();
      if (!s) return;
      Conn& c = s->conn(is_sub);
      if (c.attempt == attempt && c.ac && !c.ready) s->drop(c, "connect timeout");
    });
  }

  // Closes the connection ourselves (errors, timeouts, stop).
  void drop(Conn& c, const std::string& reason) {
    redisAsyncContext* ac = c.ac;
    if (!ac) return;
    c.ac = nullptr;
    ac->data = nullptr;  // our connect/disconnect callbacks ignore it from now on
    redisAsyncFree(ac);  // deferred by hiredis when inside one of its callbacks
    conn_lost(c, reason);
  }

  void conn_lost(Conn& c, const std::string& reason) {
    c.ready = false;
    if (c.is_sub)
      for (auto& [_, ch] : channels) ch.confirmed = false;
    if (stopping()) return;
    up = false;
    set_state(BrokerState::down, std::string(c.label) + ": " + reason);
    const uint32_t delay = c.backoff.next();
    std::weak_ptr<Impl> weak = self();
    const bool is_sub = c.is_sub;
    worker().wheel().schedule_in(delay, [weak, is_sub] {
      if (auto s = weak.lock()) s->connect(s->conn(is_sub));
    });
  }

  void conn_ready(Conn& c) {
    c.ready = true;
    c.backoff.reset();
    if (c.is_sub)
      for (auto& [_, ch] : channels) send_subscribe(ch);
    maybe_up();
  }

  void maybe_up() {
    if (up || !pub.ready || !sub.ready) return;
    for (const auto& [_, ch] : channels)
      if (!ch.confirmed) return;
    up = true;
    set_state(BrokerState::up);
    flush_queue();
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* c = static_cast<Conn*>(ac->data);
    if (!c || c->ac != ac || status == REDIS_OK) return;
    // hiredis frees the context after this returns.
    c->ac = nullptr;
    c->owner->conn_lost(*c, ac->errstr ? ac->errstr : "connect failed");
  }

  static void on_disconnect(const redisAsyncContext* ac, int status) {
    auto* c = static_cast<Conn*>(ac->data);
    if (!c || c->ac != ac) return;
    c->ac = nullptr;
    c->owner->conn_lost(*c, status == REDIS_OK || !ac->errstr ? "connection closed" : ac->errstr);
  }

  // AUTH and PING replies.
  static void on_hello(redisAsyncContext* ac, void* r, void* privdata) {
    auto* c = static_cast<Conn*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (!reply || c->ac != ac) return;  // connection gone: conn_lost handles it
    if (reply->type == REDIS_REPLY_ERROR) return c->owner->drop(*c, reply->str);
    if (reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str) == "PONG")
      c->owner->conn_ready(*c);
  }

  // ---- subscriptions ----

  static std::string key_of(std::string_view pattern, bool* glob, std::string* name) {
    *glob = !topic_pattern::is_literal(pattern);
    *name = *glob ? topic_pattern::to_redis_glob(pattern) : std::string(pattern);
    return (*glob ? "p:" : "c:") + *name;
  }

  Channel& acquire(const std::string& key, bool glob, const std::string& name) {
    auto [it, fresh] = channels.try_emplace(key);
    if (fresh) {
      it->second.glob = glob;
      it->second.name = name;
      if (sub.ready) send_subscribe(it->second);
    }
    return it->second;
  }

  void release(const std::string& key) {
    auto it = channels.find(key);
    if (it == channels.end() || !it->second.subs.empty() || it->second.reply_refs > 0) return;
    if (sub.ready && sub.ac) {
      const char* argv[2] = {it->second.glob ? "PUNSUBSCRIBE" : "UNSUBSCRIBE",
                             it->second.name.data()};
      const size_t len[2] = {strlen(argv[0]), it->second.name.size()};
      redisAsyncCommandArgv(sub.ac, nullptr, nullptr, 2, argv, len);
    }
    channels.erase(it);
  }

  void send_subscribe(Channel& ch) {
    if (!sub.ac) return;
    const char* argv[2] = {ch.glob ? "PSUBSCRIBE" : "SUBSCRIBE", ch.name.data()};
    const size_t len[2] = {strlen(argv[0]), ch.name.size()};
    redisAsyncCommandArgv(sub.ac, &Impl::on_sub_reply, &sub, 2, argv, len);
  }

  static std::string_view str(const redisReply* r) {
    return r && r->type == REDIS_REPLY_STRING ? std::string_view(r->str, r->len)
                                              : std::string_view();
  }

  static void on_sub_reply(redisAsyncContext* ac, void* r, void* privdata) {
    auto* c = static_cast<Conn*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (!reply || c->ac != ac || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    Impl* s = c->owner;
    const std::string_view type = str(reply->element[0]);
    if (type == "message") {
      s->on_message("c:" + std::string(str(reply->element[1])), str(reply->element[1]),
                    str(reply->element[2]));
    } else if (type == "pmessage" && reply->elements >= 4) {
      s->on_message("p:" + std::string(str(reply->element[1])), str(reply->element[2]),
                    str(reply->element[3]));
    } else if (type == "subscribe" || type == "psubscribe") {
      const std::string key = (type[0] == 'p' ? "p:" : "c:") + std::string(str(reply->element[1]));
      auto it = s->channels.find(key);
      if (it == s->channels.end()) return;
      it->second.confirmed = true;
      auto waiters = std::move(it->second.on_confirmed);
      it->second.on_confirmed.clear();
      for (auto& w : waiters) w();
      s->maybe_up();
    }
  }

  void on_message(const std::string& key, std::string_view channel, std::string_view payload) {
    if (oversized_incoming(payload.size(), channel)) return;
    auto it = channels.find(key);
    if (it == channels.end()) {
      spdlog::debug("broker {}: message on '{}' after unsubscribe", name(), channel);
      return;
    }
    if (it->second.reply_refs > 0) {
      const std::string id = o.correlation_id(payload);
      if (!id.empty() && has_request(id)) {
        note_received();
        finish_request(id, {},
                       Message{.topic = std::string(channel), .payload = std::string(payload)});
        // The answered request may have released the reply channel (erased it).
        it = channels.find(key);
        if (it == channels.end()) return;
      }
    }
    Channel& ch = it->second;
    std::vector<HandlerPtr> handlers;
    for (SubscriptionId id : ch.subs) {
      const Sub& s = subs.at(id);
      if (!ch.glob || s.raw || topic_pattern::matches(s.pattern, channel))
        handlers.push_back(s.handler);
    }
    if (handlers.empty()) return;  // a glob superset hit, or a reply channel only
    dispatch(Message{.topic = std::string(channel),
                     .payload = std::string(payload),
                     .reply_to = std::string(channel) + o.reply_suffix},
             std::move(handlers));
  }

  // ---- publishing ----

  void do_publish(Message m, PublishCallback done) override {
    if (Error e = check_outgoing(m, started)) return finish_publish(std::move(done), e);
    if (up && pub.ready) return send_publish(m, std::move(done));
    if (queue.size() >= o.max_queued_publishes)
      return finish_publish(std::move(done),
                            {Errc::queue_full, "Redis is unreachable and the outage buffer holds " +
                                                   std::to_string(queue.size()) + " messages"});
    queue.push_back(Queued{std::move(m), std::move(done)});
  }

  void send_publish(const Message& m, PublishCallback done) {
    auto* p = new PendingPublish{this, std::move(done)};
    const char* argv[3] = {"PUBLISH", m.topic.data(), m.payload.data()};
    const size_t len[3] = {7, m.topic.size(), m.payload.size()};
    if (redisAsyncCommandArgv(pub.ac, &Impl::on_published, p, 3, argv, len) != REDIS_OK) {
      std::unique_ptr<PendingPublish> g(p);
      finish_publish(std::move(g->done), {Errc::connection_lost, "Redis connection is closing"});
    }
  }

  static void on_published(redisAsyncContext*, void* r, void* privdata) {
    std::unique_ptr<PendingPublish> p(static_cast<PendingPublish*>(privdata));
    auto* reply = static_cast<redisReply*>(r);
    Error e;
    if (!reply)
      e = {Errc::connection_lost, "connection to Redis lost before PUBLISH was confirmed"};
    else if (reply->type == REDIS_REPLY_ERROR)
      e = {Errc::broker_error, reply->str};
    p->owner->finish_publish(std::move(p->done), std::move(e));
  }

  void flush_queue() {
    while (!queue.empty() && up && pub.ready) {
      Queued q = std::move(queue.front());
      queue.pop_front();
      send_publish(q.m, std::move(q.done));
    }
  }

  // ---- requests ----

  void do_request(Message m, RequestOptions ro, ReplyCallback done) override {
    if (Error e = check_outgoing(m, started)) return fail_request(std::move(done), e);
    std::string id = ro.correlation_id.empty() ? o.correlation_id(m.payload) : ro.correlation_id;
    if (id.empty())
      return fail_request(std::move(done), {Errc::no_correlation_id,
                                            "the payload has no JSON \"id\" to match "
                                            "the reply by"});
    const std::string reply_channel = m.topic + o.reply_suffix;
    const std::string key = "c:" + reply_channel;
    if (Error e = add_request(id, done, ro.timeout_ms, [this, key] {
          if (auto it = channels.find(key); it != channels.end()) {
            --it->second.reply_refs;
            release(key);
          }
        }))
      return fail_request(std::move(done), e);
    Channel& ch = acquire(key, false, reply_channel);
    ++ch.reply_refs;
    // Publish only once the reply channel is subscribed, or the reply could be missed.
    auto send = [this, id, m = std::move(m)]() mutable {
      if (!has_request(id)) return;  // timed out meanwhile
      do_publish(std::move(m), [this, id](const Error& e) {
        if (e) finish_request(id, e, {}, /*count=*/false);
      });
    };
    if (ch.confirmed && sub.ready)
      send();
    else
      ch.on_confirmed.push_back(std::move(send));
  }

  // ---- lifecycle ----

  void do_stop() override {
    if (health().state == BrokerState::stopped) return;
    begin_stop();
    while (!queue.empty()) {
      Queued q = std::move(queue.front());
      queue.pop_front();
      finish_publish(std::move(q.done), {Errc::stopped, "broker stopped before Redis came back"});
    }
    drop(pub, "stopped");
    drop(sub, "stopped");
    for (auto& [_, ch] : channels) ch.on_confirmed.clear();
    finish_stop();
    channels.clear();
    subs.clear();
  }
};

RedisBroker::RedisBroker(std::string name, net::Worker& worker, RedisBrokerOptions opts)
    : BrokerHandle(std::make_shared<Impl>(std::move(name), worker, std::move(opts))),
      impl_(std::static_pointer_cast<Impl>(core_)) {}

void RedisBroker::start() {
  BrokerCore::post(impl_, [](Impl& s) {
    if (s.started || s.stopping()) return;
    s.started = true;
    s.connect(s.pub);
    s.connect(s.sub);
  });
}

SubscriptionId RedisBroker::subscribe(std::string_view pattern, MessageHandler handler,
                                      SubscribeOptions) {
  check_pattern(pattern);
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(
      impl_, [id, p = std::string(pattern),
              h = std::make_shared<const MessageHandler>(std::move(handler))](Impl& s) mutable {
        if (s.stopping()) return;
        bool glob;
        std::string name;
        const std::string key = Impl::key_of(p, &glob, &name);
        s.acquire(key, glob, name).subs.push_back(id);
        s.subs.emplace(id, Impl::Sub{std::move(p), key, std::move(h), false});
      });
  return id;
}

SubscriptionId RedisBroker::subscribe_glob(std::string_view glob, MessageHandler handler) {
  if (glob.empty() || glob.size() > topic_pattern::kMaxLength)
    throw std::invalid_argument("invalid glob '" + std::string(glob) + "'");
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(
      impl_, [id, g = std::string(glob),
              h = std::make_shared<const MessageHandler>(std::move(handler))](Impl& s) mutable {
        if (s.stopping()) return;
        const std::string key = "p:" + g;
        s.acquire(key, true, g).subs.push_back(id);
        s.subs.emplace(id, Impl::Sub{g, key, std::move(h), true});
      });
  return id;
}

SubscriptionId RedisBroker::subscribe_channel(std::string_view channel, MessageHandler handler) {
  if (channel.empty() || channel.size() > topic_pattern::kMaxLength)
    throw std::invalid_argument("invalid channel '" + std::string(channel) + "'");
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(
      impl_, [id, c = std::string(channel),
              h = std::make_shared<const MessageHandler>(std::move(handler))](Impl& s) mutable {
        if (s.stopping()) return;
        const std::string key = "c:" + c;
        s.acquire(key, false, c).subs.push_back(id);
        s.subs.emplace(id, Impl::Sub{c, key, std::move(h), true});
      });
  return id;
}

void RedisBroker::unsubscribe(SubscriptionId id) {
  BrokerCore::post(impl_, [id](Impl& s) {
    auto it = s.subs.find(id);
    if (it == s.subs.end()) return;
    const std::string key = it->second.key;
    s.subs.erase(it);
    if (auto ch = s.channels.find(key); ch != s.channels.end()) {
      std::erase(ch->second.subs, id);
      s.release(key);
    }
  });
}

void RedisBroker::reply(const Message& request, Message reply, PublishCallback done) {
  reply.topic = request.reply_to.empty() ? request.topic + impl_->o.reply_suffix : request.reply_to;
  publish(std::move(reply), std::move(done));
}

}  // namespace sb::inter_service
