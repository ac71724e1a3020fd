#include "gateways/inter_service/cluster_heartbeat.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "gateways/inter_service/redis_broker.hpp"
#include "hub/log_limiter.hpp"
#include "net/worker.hpp"

namespace sb::inter_service {

std::vector<cluster::NamespaceCount> count_sockets(
    const std::vector<cluster::SocketInfo>& sockets) {
  std::map<std::string, cluster::NamespaceCount> per;
  for (auto& s : sockets) {
    auto& n = per[s.nsp];
    n.nsp = s.nsp;
    ++n.sockets;
    if (s.user.empty())
      ++n.anonymous;
    else
      ++n.users[s.user];
  }
  std::vector<cluster::NamespaceCount> out;
  out.reserve(per.size());
  for (auto& [name, n] : per) out.push_back(std::move(n));
  return out;
}

std::set<std::string> users_online(const std::vector<cluster::NamespaceCount>& local,
                                   const std::vector<cluster::Heartbeat>& remote) {
  std::set<std::string> out;
  auto add = [&out](const std::vector<cluster::NamespaceCount>& nsps) {
    for (auto& n : nsps)
      for (auto& [u, c] : n.users)
        if (c > 0) out.insert(u);
  };
  add(local);
  for (auto& h : remote) add(h.namespaces);
  return out;
}

struct ClusterHeartbeat::State : std::enable_shared_from_this<State> {
  Broker& broker;
  ClusterChannels channels;
  std::string uid;
  HeartbeatOptions options;
  LocalSockets local;
  ClusterNodeTable table;
  boost::asio::steady_timer timer;
  std::atomic<uint64_t> seq{0};
  std::atomic<bool> running{false};
  SubscriptionId sub = 0;
  hub::LogLimiter log_limiter;
  std::mutex online_mu;
  std::set<std::string> online;  // users online anywhere at the previous period

  State(Broker& b, ClusterChannels c, std::string u, HeartbeatOptions o, LocalSockets l)
      : broker(b),
        channels(std::move(c)),
        uid(std::move(u)),
        options(o),
        local(std::move(l)),
        table(std::chrono::milliseconds(o.node_timeout_ms)),
        timer(b.worker().io()) {}

  void publish(const cluster::Heartbeat& h, std::function<void()> then = {}) {
    Message m;
    m.topic = channels.presence();
    m.payload = cluster::encode_heartbeat(h);
    broker.publish(std::move(m), [self = shared_from_this(), then](const Error& err) {
      if (err && self->log_limiter.allow())
        spdlog::warn("cluster: heartbeat refused by broker {}: {}", self->broker.name(),
                     err.to_string());
      if (then) then();
    });
  }

  // On the broker's worker.
  void tick() {
    if (!running.load()) return;
    for (auto& gone : table.expire(ClusterNodeTable::Clock::now()))
      spdlog::warn("cluster: node {} left (no heartbeat for {} ms)", gone, options.node_timeout_ms);
    local([self = shared_from_this()](std::vector<cluster::SocketInfo> sockets) {
      if (!self->running.load()) return;
      cluster::Heartbeat h;
      h.uid = self->uid;
      h.seq = ++self->seq;
      h.namespaces = count_sockets(sockets);
      // Not queued while the broker is down: a stale heartbeat is worth
      // nothing, and the outage queue is for broadcasts.
      if (self->broker.health().state == BrokerState::up)
        for (auto& chunk :
             cluster::split_heartbeat(h, self->options.chunk_users, self->options.chunk_bytes))
          self->publish(chunk);
      if (self->options.on_change) self->report_changes(h.namespaces);
    });
    timer.expires_after(std::chrono::milliseconds(options.heartbeat_ms));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->tick();
    });
  }

  void report_changes(const std::vector<cluster::NamespaceCount>& mine) {
    auto now = users_online(mine, table.alive(ClusterNodeTable::Clock::now()));
    std::vector<std::pair<std::string, bool>> changes;
    {
      std::lock_guard lk(online_mu);
      for (auto& u : now)
        if (!online.count(u)) changes.emplace_back(u, true);
      for (auto& u : online)
        if (!now.count(u)) changes.emplace_back(u, false);
      online = std::move(now);
    }
    for (auto& [u, up] : changes) options.on_change(u, up);
  }

  void on_message(const Message& m, Ack& ack) {
    cluster::Heartbeat h;
    if (!cluster::decode_heartbeat(m.payload, h)) return ack.bad("not a cluster heartbeat");
    if (h.uid == uid) return;
    const std::string node = h.uid;
    switch (table.apply(std::move(h), ClusterNodeTable::Clock::now())) {
      case ClusterNodeTable::Change::joined:
        spdlog::info("cluster: node {} joined", node);
        break;
      case ClusterNodeTable::Change::left:
        spdlog::info("cluster: node {} left (bye)", node);
        break;
      case ClusterNodeTable::Change::none:
        break;
    }
  }
};

ClusterHeartbeat::ClusterHeartbeat(Broker& broker, ClusterChannels channels, std::string uid,
                                   HeartbeatOptions options, LocalSockets local)
    : st_(std::make_shared<State>(broker, std::move(channels), std::move(uid), options,
                                  std::move(local))) {
  std::weak_ptr<State> weak = st_;
  auto handler = [weak](const Message& m, Ack ack) {
    if (auto s = weak.lock()) s->on_message(m, ack);
  };
  if (st_->channels.scheme() == ClusterScheme::redis) {
    auto* redis = dynamic_cast<RedisBroker*>(&broker);
    if (!redis) throw std::invalid_argument("the cluster's Redis channels need a Redis broker");
    st_->sub = redis->subscribe_glob(st_->channels.presence(), handler);
  } else {
    st_->sub = broker.subscribe(st_->channels.presence(), handler, {});
  }
}

ClusterHeartbeat::~ClusterHeartbeat() {
  stop();
  st_->broker.unsubscribe(st_->sub);
}

void ClusterHeartbeat::start() {
  if (st_->running.exchange(true)) return;
  st_->broker.worker().post([s = st_] { s->tick(); });
}

void ClusterHeartbeat::stop() {
  if (!st_->running.exchange(false)) return;
  cluster::Heartbeat bye;
  bye.uid = st_->uid;
  bye.bye = true;
  bye.seq = ++st_->seq;
  // Waits (briefly) until the broker took the bye: the broker stops next and
  // would drop it. Not on the broker's own thread, which must run the publish.
  if (st_->broker.health().state == BrokerState::up) {
    auto sent = std::make_shared<std::promise<void>>();
    auto future = sent->get_future();
    st_->publish(bye, [sent] { sent->set_value(); });
    if (!st_->broker.worker().in_this_thread() && st_->broker.worker().loop_started())
      future.wait_for(std::chrono::seconds(1));
  }
  st_->broker.worker().post([s = st_] { s->timer.cancel(); });
}

const ClusterNodeTable& ClusterHeartbeat::nodes() const {
  return st_->table;
}
const std::string& ClusterHeartbeat::uid() const {
  return st_->uid;
}

}  // namespace sb::inter_service
