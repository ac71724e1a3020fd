#include "gateways/inter_service/memory_broker.hpp"

#include <map>
#include <stdexcept>
#include <unordered_map>

#include "gateways/inter_service/topic_pattern.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

using detail::BrokerCore;
using detail::HandlerPtr;

class MemoryBroker::Impl final : public BrokerCore {
 public:
  Impl(std::string name, net::Worker& w, MemoryBrokerOptions o)
      : BrokerCore(std::move(name), "memory", w, o.limits) {}

  struct Sub {
    std::string pattern;
    HandlerPtr handler;
    std::string queue_group;
  };

  bool started = false;
  std::map<SubscriptionId, Sub> subs;          // ordered: delivery order = subscription order
  std::unordered_map<std::string, size_t> rr;  // queue group -> round-robin cursor
  std::string inbox_prefix;                    // "_INBOX.<token>."

  // Handlers for `topic`: every plain subscription, one member per queue group.
  std::vector<HandlerPtr> route(const std::string& topic) {
    std::vector<HandlerPtr> out;
    std::map<std::string, std::vector<HandlerPtr>> groups;
    for (const auto& [id, s] : subs) {
      if (!topic_pattern::matches(s.pattern, topic)) continue;
      if (s.queue_group.empty())
        out.push_back(s.handler);
      else
        groups[s.queue_group].push_back(s.handler);
    }
    for (auto& [g, members] : groups) out.push_back(members[rr[g]++ % members.size()]);
    return out;
  }

  void do_publish(Message m, PublishCallback done) override {
    if (Error e = check_outgoing(m, started)) return finish_publish(std::move(done), e);
    if (m.topic.compare(0, inbox_prefix.size(), inbox_prefix) == 0) {
      // A reply to one of our requests.
      const std::string key = m.topic.substr(inbox_prefix.size());
      finish_publish(std::move(done), {});
      if (has_request(key)) {
        note_received();
        finish_request(key, {}, std::move(m));
      }
      return;
    }
    auto handlers = route(m.topic);
    finish_publish(std::move(done), {});
    dispatch(std::move(m), std::move(handlers));
  }

  void do_request(Message m, RequestOptions o, ReplyCallback done) override {
    Error e = check_outgoing(m, started);
    if (!e && route(m.topic).empty())
      e = {Errc::no_responders, "no subscriber for '" + m.topic + "'"};
    const std::string key = unique_token();
    if (!e) e = add_request(key, done, o.timeout_ms);
    if (e) return fail_request(std::move(done), std::move(e));
    m.reply_to = inbox_prefix + key;
    do_publish(std::move(m), {});
  }

  void do_stop() override {
    if (health().state == BrokerState::stopped) return;
    begin_stop();
    subs.clear();
    finish_stop();
  }
};

MemoryBroker::MemoryBroker(std::string name, net::Worker& worker, MemoryBrokerOptions opts)
    : BrokerHandle(std::make_shared<Impl>(std::move(name), worker, opts)),
      impl_(std::static_pointer_cast<Impl>(core_)) {}

void MemoryBroker::start() {
  BrokerCore::post(impl_, [](Impl& s) {
    if (s.started || s.stopping()) return;
    s.started = true;
    s.inbox_prefix = "_INBOX." + s.unique_token() + ".";
    s.set_state(BrokerState::up);
  });
}

SubscriptionId MemoryBroker::subscribe(std::string_view pattern, MessageHandler handler,
                                       SubscribeOptions opts) {
  check_pattern(pattern);
  const SubscriptionId id = impl_->next_subscription_id();
  BrokerCore::post(impl_, [id, p = std::string(pattern),
                           h = std::make_shared<const MessageHandler>(std::move(handler)),
                           q = std::move(opts.queue_group)](Impl& s) mutable {
    if (!s.stopping()) s.subs.emplace(id, Impl::Sub{std::move(p), std::move(h), std::move(q)});
  });
  return id;
}

void MemoryBroker::unsubscribe(SubscriptionId id) {
  BrokerCore::post(impl_, [id](Impl& s) { s.subs.erase(id); });
}

void MemoryBroker::reply(const Message& request, Message reply, PublishCallback done) {
  if (request.reply_to.empty())
    return refuse(std::move(done), {Errc::invalid_topic, "the request has no reply address"});
  reply.topic = request.reply_to;
  publish(std::move(reply), std::move(done));
}

}  // namespace sb::inter_service
