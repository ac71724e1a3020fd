#include "gateways/inter_service/nats_broker.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "gateways/inter_service/topic_pattern.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

using detail::BrokerCore;
using detail::HandlerPtr;

namespace {

Error error_of(natsStatus s, const char* what) {
  const std::string text = std::string(what) + ": " + natsStatus_GetText(s);
  switch (s) {
    case NATS_OK:
      return {};
    case NATS_INSUFFICIENT_BUFFER:
      return {Errc::queue_full, "NATS is unreachable and the reconnect buffer is full"};
    case NATS_MAX_PAYLOAD:
      return {Errc::payload_too_large, text};
    case NATS_CONNECTION_CLOSED:
      return {Errc::stopped, text};
    case NATS_INVALID_SUBJECT:
      return {Errc::invalid_topic, text};
    default:
      return {Errc::broker_error, text};
  }
}

// A message copied off the cnats thread.
struct Incoming {
  int64_t sid = 0;
  bool no_responders = false;
  size_t oversized = 0;  // its size when over the limit (payload not copied)
  Message m;
};

}  // namespace

class NatsBroker::Impl final : public BrokerCore {
 public:
  Impl(std::string name, net::Worker& w, NatsBrokerOptions opts)
      : BrokerCore(std::move(name), "nats", w, opts.limits), o(std::move(opts)) {}

  struct NSub {
    std::string subject, queue;
    natsSubscription* sub = nullptr;
    std::vector<SubscriptionId> ids;
  };
  struct Sub {
    std::string key;
    HandlerPtr handler;
  };

  NatsBrokerOptions o;
  uint64_t reg_id = 0;
  std::atomic<bool> start_called{false};
  // Worker-only state.
  natsConnection* nc = nullptr;
  bool started = false;
  std::string inbox;  // "_INBOX.<nuid>"
  natsSubscription* inbox_sub = nullptr;
  int64_t inbox_sid = -1;
  std::map<std::string, NSub> nsubs;  // subject, or subject '\n' queue '\n' id
  std::unordered_map<int64_t, std::string> by_sid;
  std::unordered_map<SubscriptionId, Sub> subs;

  // ---- cnats threads -> worker ----
  // cnats callbacks get `closure` = our registry id. The registry maps it to
  // the broker while it lives; lookups and posts happen under its mutex, so
  // once stop() unregistered, no callback can reach the broker or its worker.
  struct Entry {
    std::weak_ptr<BrokerCore> core;
    net::Worker* worker;
    BackoffPolicy reconnect;
    size_t max_payload;
  };
  static std::mutex& reg_mu() {
    static std::mutex mu;
    return mu;
  }
  static std::unordered_map<uint64_t, Entry>& registry() {
    static std::unordered_map<uint64_t, Entry> r;
    return r;
  }
  static uint64_t register_broker(const std::shared_ptr<BrokerCore>& core, net::Worker* w,
                                  BackoffPolicy p) {
    static std::atomic<uint64_t> next{0};
    const uint64_t id = ++next;
    std::lock_guard lock(reg_mu());
    registry().emplace(id, Entry{core, w, p, core->limits().max_payload_bytes});
    return id;
  }
  static void unregister_broker(uint64_t id) {
    std::lock_guard lock(reg_mu());
    registry().erase(id);
  }
  template <class F>
  static void post_to(void* closure, F&& f) {
    const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(closure));
    std::lock_guard lock(reg_mu());
    auto it = registry().find(id);
    if (it == registry().end()) return;
    it->second.worker->post([weak = it->second.core, f = std::forward<F>(f)]() mutable {
      if (auto core = weak.lock()) f(static_cast<Impl&>(*core));
    });
  }
  static void* closure_of(uint64_t id) {
    return reinterpret_cast<void*>(static_cast<uintptr_t>(id));
  }

  static void on_msg(natsConnection*, natsSubscription* sub, natsMsg* msg, void* closure) {
    Incoming in;
    in.sid = natsSubscription_GetID(sub);
    in.no_responders = natsMsg_IsNoResponders(msg);
    in.m.topic = natsMsg_GetSubject(msg);
    if (const char* reply = natsMsg_GetReply(msg)) in.m.reply_to = reply;
    const int len = natsMsg_GetDataLength(msg);
    size_t limit = 0;
    {
      std::lock_guard lock(reg_mu());
      auto it = registry().find(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(closure)));
      if (it != registry().end()) limit = it->second.max_payload;
    }
    if (len > 0 && static_cast<size_t>(len) > limit)
      in.oversized = static_cast<size_t>(len);
    else if (len > 0)
      in.m.payload.assign(natsMsg_GetData(msg), static_cast<size_t>(len));
    const char** keys = nullptr;
    int nkeys = 0;
    if (natsMsgHeader_Keys(msg, &keys, &nkeys) == NATS_OK) {
      for (int i = 0; i < nkeys; ++i) {
        const char** values = nullptr;
        int nvalues = 0;
        if (natsMsgHeader_Values(msg, keys[i], &values, &nvalues) != NATS_OK) continue;
        for (int j = 0; j < nvalues; ++j) in.m.headers.emplace_back(keys[i], values[j]);
        free(static_cast<void*>(values));
      }
      free(static_cast<void*>(keys));
    }
    natsMsg_Destroy(msg);
    post_to(closure, [in = std::move(in)](Impl& s) mutable { s.on_incoming(std::move(in)); });
  }

  static std::string last_error_of(natsConnection* nc) {
    const char* text = nullptr;
    const natsStatus s = natsConnection_GetLastError(nc, &text);
    if (text && *text) return text;
    return s == NATS_OK ? "connection lost" : natsStatus_GetText(s);
  }
  static void on_connected(natsConnection*, void* closure) {
    post_to(closure, [](Impl& s) { s.send_probe(); });
  }
  static void on_reconnected(natsConnection*, void* closure) {
    post_to(closure, [](Impl& s) { s.send_probe(); });
  }
  static void on_disconnected(natsConnection* nc, void* closure) {
    post_to(closure, [e = last_error_of(nc)](Impl& s) mutable {
      if (!s.stopping()) s.set_state(BrokerState::down, std::move(e));
    });
  }
  static void on_closed(natsConnection*, void* closure) {
    post_to(closure, [](Impl& s) {
      if (!s.stopping()) s.set_state(BrokerState::down, "connection closed");
    });
  }
  static void on_async_error(natsConnection*, natsSubscription* sub, natsStatus err,
                             void* closure) {
    std::string what = natsStatus_GetText(err);
    if (err == NATS_SLOW_CONSUMER && sub) {
      int64_t dropped = 0;
      natsSubscription_GetDropped(sub, &dropped);
      what += " (" + std::to_string(dropped) + " messages dropped by cnats)";
    }
    post_to(closure, [what = std::move(what)](Impl& s) mutable {
      spdlog::warn("broker {}: {}", s.name(), what);
      s.set_error(std::move(what));
    });
  }
  static int64_t reconnect_delay(natsConnection*, int attempts, void* closure) {
    BackoffPolicy p;
    {
      std::lock_guard lock(reg_mu());
      auto it = registry().find(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(closure)));
      if (it != registry().end()) p = it->second.reconnect;
    }
    const double base =
        std::min<double>(p.max_ms, std::max<uint32_t>(p.initial_ms, 1) *
                                       std::pow(p.multiplier, std::max(0, attempts - 1)));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> d(base * (1.0 - std::clamp(p.jitter, 0.0, 1.0)), base);
    return static_cast<int64_t>(std::max(1.0, d(rng)));
  }

  // ---- worker ----

  natsOptions* build_options() {
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) return nullptr;
    std::vector<const char*> servers;
    for (const auto& s : o.servers) servers.push_back(s.c_str());
    void* cl = closure_of(reg_id);
    natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
    natsOptions_SetName(opts, o.connection_name.c_str());
    if (!o.user.empty()) natsOptions_SetUserInfo(opts, o.user.c_str(), o.password.c_str());
    if (!o.token.empty()) natsOptions_SetToken(opts, o.token.c_str());
    natsOptions_SetTimeout(opts, o.connect_timeout_ms);
    natsOptions_SetAllowReconnect(opts, true);
    natsOptions_SetMaxReconnect(opts, -1);  // forever: buffered publishes are never abandoned
    natsOptions_SetCustomReconnectDelay(opts, &Impl::reconnect_delay, cl);
    natsOptions_SetReconnectBufSize(opts, o.reconnect_buffer_bytes);
    natsOptions_SetRetryOnFailedConnect(opts, true, &Impl::on_connected, cl);
    natsOptions_SetPingInterval(opts, o.ping_interval_ms);
    natsOptions_SetMaxPingsOut(opts, o.max_pings_out);
    natsOptions_UseGlobalMessageDelivery(opts, true);  // no thread per subscription
    natsOptions_SetDisconnectedCB(opts, &Impl::on_disconnected, cl);
    natsOptions_SetReconnectedCB(opts, &Impl::on_reconnected, cl);
    natsOptions_SetClosedCB(opts, &Impl::on_closed, cl);
    natsOptions_SetErrorHandler(opts, &Impl::on_async_error, cl);
    return opts;
  }

  void install(natsConnection* conn, natsStatus s) {
    if (stopping()) {
      if (conn) natsConnection_Destroy(conn);
      return;
    }
    started = true;
    nc = conn;
    if (!nc) {
      set_state(BrokerState::down, error_of(s, "connect").to_string());
      return;
    }
    natsInbox* ib = nullptr;
    if (natsInbox_Create(&ib) == NATS_OK) {
      inbox = ib;
      natsInbox_Destroy(ib);
      const std::string subject = inbox + ".*";
      if (natsConnection_Subscribe(&inbox_sub, nc, subject.c_str(), &Impl::on_msg,
                                   closure_of(reg_id)) == NATS_OK)
        inbox_sid = natsSubscription_GetID(inbox_sub);
    }
    for (auto& [key, ns] : nsubs) open(key, ns);
    if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
      send_probe();
    else
      set_state(BrokerState::down, "no NATS server reachable yet; retrying");
  }

  // `up` means the server has our subscriptions: after (re)connecting we
  // publish a probe to our own inbox; the server handles a connection's
  // protocol in order, so when the probe comes back every SUB sent before it
  // is active. (An asynchronous flush that never blocks the worker.)
  std::string probe;
  uint64_t probes = 0;
  void send_probe() {
    if (!nc || inbox.empty() || stopping()) return;
    probe = "probe-" + std::to_string(++probes);
    const std::string subject = inbox + "." + probe;
    if (natsConnection_Publish(nc, subject.c_str(), nullptr, 0) != NATS_OK) probe.clear();
  }

  void open(const std::string& key, NSub& ns) {
    if (!nc || ns.sub) return;
    const natsStatus s =
        ns.queue.empty()
            ? natsConnection_Subscribe(&ns.sub, nc, ns.subject.c_str(), &Impl::on_msg,
                                       closure_of(reg_id))
            : natsConnection_QueueSubscribe(&ns.sub, nc, ns.subject.c_str(), ns.queue.c_str(),
                                            &Impl::on_msg, closure_of(reg_id));
    if (s != NATS_OK) {
      ns.sub = nullptr;
      spdlog::error("broker {}: subscribe '{}': {}", name(), ns.subject, natsStatus_GetText(s));
      set_error(error_of(s, "subscribe").to_string());
      return;
    }
    by_sid[natsSubscription_GetID(ns.sub)] = key;
  }

  void close(NSub& ns) {
    if (!ns.sub) return;
    by_sid.erase(natsSubscription_GetID(ns.sub));
    natsSubscription_Unsubscribe(ns.sub);
    natsSubscription_Destroy(ns.sub);
    ns.sub = nullptr;
  }

  void on_incoming(Incoming in) {
    if (stopping()) return;
    if (in.sid == inbox_sid) {
      const std::string token = in.m.topic.substr(std::min(in.m.topic.size(), inbox.size() + 1));
      if (!probe.empty() && token == probe) {
        probe.clear();
        if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) set_state(BrokerState::up);
      } else if (in.no_responders)
        finish_request(token, {Errc::no_responders, "no subscriber for the request"});
      else if (in.oversized)
        finish_request(token, {Errc::payload_too_large,
                               "reply of " + std::to_string(in.oversized) + " bytes"});
      else if (has_request(token)) {
        note_received();
        finish_request(token, {}, std::move(in.m));
      }
      return;
    }
    auto k = by_sid.find(in.sid);
    if (k == by_sid.end()) return;  // unsubscribed meanwhile
    if (in.oversized) {
      note_bad("oversized message on '" + in.m.topic + "': " + std::to_string(in.oversized) +
               " bytes > " + std::to_string(limits().max_payload_bytes));
      return;
    }
    const NSub& ns = nsubs.at(k->second);
    std::vector<HandlerPtr> handlers;
    for (SubscriptionId id : ns.ids) handlers.push_back(subs.at(id).handler);
    dispatch(std::move(in.m), std::move(handlers));
  }

  Error send(const Message& m) {
    if (Error e = check_outgoing(m, started && nc)) return e;
    const char* reply = m.reply_to.empty() ? nullptr : m.reply_to.c_str();
    const int len = static_cast<int>(m.payload.size());
    if (m.headers.empty())
      return error_of(
          reply ? natsConnection_PublishRequest(nc, m.topic.c_str(), reply, m.payload.data(), len)
                : natsConnection_Publish(nc, m.topic.c_str(), m.payload.data(), len),
          "publish");
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, m.topic.c_str(), reply, m.payload.data(), len);
    for (const auto& [k, v] : m.headers)
      if (s == NATS_OK) s = natsMsgHeader_Add(msg, k.c_str(), v.c_str());
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc, msg);
    natsMsg_Destroy(msg);
    return error_of(s, "publish");
  }

  void do_publish(Message m, PublishCallback done) override {
    finish_publish(std::move(done), send(m));
  }

  void do_request(Message m, RequestOptions ro, ReplyCallback done) override {
    if (Error e = check_outgoing(m, started && nc)) return fail_request(std::move(done), e);
    const std::string token = unique_token();
    if (Error e = add_request(token, done, ro.timeout_ms)) return fail_request(std::move(done), e);
    m.reply_to = inbox + "." + token;
    Error e = send(m);
    if (e) finish_request(token, e, {}, /*count=*/false);
    finish_publish({}, std::move(e));
  }

  void do_stop() override {
    if (health().state == BrokerState::stopped) return;
    begin_stop();
    unregister_broker(reg_id);  // from here on, no cnats callback reaches us
    if (nc) {
      if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
        natsConnection_FlushTimeout(nc, o.stop_flush_timeout_ms);
      natsConnection_Close(nc);
    }
    for (auto& [_, ns] : nsubs)
      if (ns.sub) natsSubscription_Destroy(ns.sub);
    if (inbox_sub) natsSubscription_Destroy(inbox_sub);
    if (nc) natsConnection_Destroy(nc);
    nc = nullptr;
    inbox_sub = nullptr;
    nsubs.clear();
    by_sid.clear();
    subs.clear();
    finish_stop();
  }
};

NatsBroker::NatsBroker(std::string name, net::Worker& worker, NatsBrokerOptions opts)
    : BrokerHandle(std::make_shared<Impl>(std::move(name), worker, std::move(opts))),
      impl_(std::static_pointer_cast<Impl>(core_)) {
  impl_->reg_id = Impl::register_broker(impl_, &worker, impl_->o.reconnect);
}

void NatsBroker::start() {
  if (impl_->start_called.exchange(true)) return;
  natsConnection* conn = nullptr;
  natsStatus s = NATS_ERR;
  if (natsOptions* opts = impl_->build_options()) {
    s = natsConnection_Connect(&conn, opts);  // blocking, bounded by connect_timeout_ms
    natsOptions_Destroy(opts);
  }
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    spdlog::error("broker {}: cannot connect to NATS: {}", impl_->name(), natsStatus_GetText(s));
    conn = nullptr;
  }
  BrokerCore::post(impl_, [conn, s](Impl& i) { i.install(conn, s); });
}

SubscriptionId NatsBroker::subscribe(std::string_view pattern, MessageHandler handler,
                                     SubscribeOptions opts) {
  check_pattern(pattern);
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(
      impl_, [id, p = std::string(pattern), q = std::move(opts.queue_group),
              h = std::make_shared<const MessageHandler>(std::move(handler))](Impl& s) mutable {
        if (s.stopping()) return;
        // Plain subscriptions to one subject share a natsSubscription; each queue
        // group member gets its own, so the server picks one member per message.
        const std::string key = q.empty() ? p : p + '\n' + q + '\n' + std::to_string(id);
        auto [it, fresh] = s.nsubs.try_emplace(key);
        if (fresh) {
          it->second.subject = std::move(p);
          it->second.queue = std::move(q);
        }
        it->second.ids.push_back(id);
        s.subs.emplace(id, Impl::Sub{key, std::move(h)});
        if (fresh) s.open(key, it->second);
      });
  return id;
}

void NatsBroker::unsubscribe(SubscriptionId id) {
  BrokerCore::post(impl_, [id](Impl& s) {
    auto it = s.subs.find(id);
    if (it == s.subs.end()) return;
    const std::string key = it->second.key;
    s.subs.erase(it);
    auto ns = s.nsubs.find(key);
    if (ns == s.nsubs.end()) return;
    std::erase(ns->second.ids, id);
    if (ns->second.ids.empty()) {
      s.close(ns->second);
      s.nsubs.erase(ns);
    }
  });
}

void NatsBroker::reply(const Message& request, Message reply, PublishCallback done) {
  if (request.reply_to.empty())
    return refuse(std::move(done), {Errc::invalid_topic, "the request has no reply subject"});
  reply.topic = request.reply_to;
  reply.reply_to.clear();
  publish(std::move(reply), std::move(done));
}

}  // namespace sb::inter_service
