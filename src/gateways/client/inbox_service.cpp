#include "gateways/client/inbox_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <set>

#include "gateways/client/namespace.hpp"
#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"
#include "hub/log_limiter.hpp"
#include "net/worker.hpp"
#include "store/inbox_thread.hpp"

namespace sb::sio {

namespace json = boost::json;
using store::InboxStore;
using store::InboxThread;

json::object inbox_error(std::string_view code, std::string_view message) {
  return json::object{{"error", json::object{{"code", code}, {"message", message}}}};
}

json::object notification_json(const store::Notification& n) {
  json::object o;
  o["id"] = std::to_string(n.id);
  o["event"] = n.event;
  boost::system::error_code ec;
  json::value data = json::parse(n.data, ec);
  o["data"] = ec ? json::value(nullptr) : std::move(data);
  o["created_at"] = n.created_at;
  o["read"] = n.read;
  return o;
}

std::optional<uint64_t> InboxService::parse_id(const json::value& v) {
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64()) {
    if (v.as_int64() < 0) return std::nullopt;
    return static_cast<uint64_t>(v.as_int64());
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.as_string();
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return id;
}

InboxService::InboxService(SioServer& sio, std::vector<net::Worker*> workers,
                           std::unique_ptr<InboxStore> store, InboxOptions options)
    : sio_(sio),
      workers_(std::move(workers)),
      options_(options),
      thread_(std::make_unique<InboxThread>(std::move(store), options.retention,
                                            options.prune_interval_ms)) {}

InboxService::~InboxService() {
  stop();
}

void InboxService::stop() {
  thread_->stop();
}

uint32_t InboxService::online(const std::string& user) const {
  std::lock_guard lk(mu_);
  auto it = online_.find(user);
  return it == online_.end() ? 0 : it->second;
}

void InboxService::attach(Namespace& nsp) {
  nsp_ = nsp.name();
  // The hooks hold the service: the namespace may outlive the module's own pointer.
  auto self = shared_from_this();
  nsp.on_connection([self](Socket& s) { self->on_connect(s); });
  nsp.on_disconnect([self](Socket& s, const std::string&) { self->on_disconnect(s); });
  nsp.on("get_notifications", [self](Socket& s, Event& e) { self->get_notifications(s, e); });
  nsp.on("mark_read", [self](Socket& s, Event& e) { self->mark_read(s, e); });
}

// In a cluster every node pushes to its own sockets only (see the header).
void InboxService::push(const store::Notification& n, const json::value& data, bool missed) {
  json::object meta{{"id", std::to_string(n.id)}, {"created_at", n.created_at}};
  if (missed) meta["missed"] = true;
  json::array args{data, std::move(meta)};
  auto op = sio_.in(nsp_).to("user:" + n.user);
  if (cluster_) op.local();
  op.emit(n.event, std::move(args));
}

void InboxService::push_unread(const std::string& user, uint64_t unread, bool local) {
  auto op = sio_.in(nsp_).to("user:" + user);
  if (local) op.local();
  op.emit("unread_count", json::array{json::object{{"unread", unread}}});
}

void InboxService::set_cluster(InboxCluster c) {
  cluster_ = std::move(c);
}

std::string InboxService::remote_payload(const std::string& node, const store::Notification& n,
                                         const json::value& data, bool missed) {
  json::object o{{"node", node},     {"user", n.user}, {"id", std::to_string(n.id)},
                 {"event", n.event}, {"data", data},   {"created_at", n.created_at}};
  if (missed) o["missed"] = true;
  return json::serialize(o);
}

void InboxService::on_remote(std::string_view payload) {
  static hub::LogLimiter bad_log;
  auto bad = [&](const char* why) {
    if (bad_log.allow()) spdlog::warn("inbox: dropped a cluster message: {}", why);
  };
  if (!cluster_) return;
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return bad("not a JSON object");
  const auto& o = v.as_object();
  auto str = [&](const char* k) -> const json::string* {
    auto* f = o.if_contains(k);
    return f && f->is_string() ? &f->as_string() : nullptr;
  };
  const auto *node = str("node"), *user = str("user"), *id = str("id"), *event = str("event");
  const auto* at = o.if_contains("created_at");
  const auto* data = o.if_contains("data");
  if (!node || !user || !id || !event || !data || !at || !at->is_int64())
    return bad("missing or mistyped fields");
  if (*node == cluster_->node) return;  // ours: pushed here already
  store::Notification n;
  auto parsed = parse_id(*id);
  if (!parsed) return bad("bad id");
  n.id = *parsed;
  n.user = std::string(*user);
  n.event = std::string(*event);
  n.created_at = at->as_int64();
  const auto* m = o.if_contains("missed");
  const bool missed = m && m->is_bool() && m->as_bool();
  if (!online(n.user)) return;  // nobody here; checked again on the inbox thread
  thread_->post(
      [this, n = std::move(n), data = *data, missed](InboxStore& st) -> InboxThread::After {
        if (!online(n.user)) return {};
        store::Claim c;
        uint64_t unread = 0;
        try {
          c = st.claim(n.user, n.id);
          // Deleted meanwhile, or this node's connect-time take pushed it here already.
          if (c.state == store::Claim::State::missing || c.state == store::Claim::State::mine)
            return {};
          unread = st.unread_count(n.user);
        } catch (const std::exception& e) {
          // Unclaimed: it stays undelivered and goes out on the user's next connect.
          spdlog::error("inbox: cannot claim notification {} for {}: {}", n.id, n.user, e.what());
          return {};
        }
        return [this, n, data, unread, missed](bool) {
          push_here(n.user, {Pushed{n, data, missed}}, true);
          push_unread(n.user, unread, true);
        };
      });
}

// Each worker emits to its own sockets of the user and counts them; the last
// one to finish sees the total. None: the sockets went between the online
// check and now, so the rows are given back (give_back).
void InboxService::push_here(const std::string& user, std::vector<Pushed> rows, bool retry) {
  struct Count {
    std::atomic<size_t> workers;
    std::atomic<size_t> sockets{0};
  };
  auto count = std::make_shared<Count>();
  count->workers = workers_.size();
  auto shared = std::make_shared<const std::vector<Pushed>>(std::move(rows));
  auto self = shared_from_this();
  for (unsigned w = 0; w < workers_.size(); ++w) {
    sio_.post(w, [self, w, user, shared, count, retry] {
      size_t here = 0;
      // Collected first: an emit may disconnect a socket (a full outbound
      // queue), changing the room's set.
      std::vector<std::weak_ptr<Socket>> targets;
      auto& shard = self->sio_.shard(w, self->nsp_);
      if (auto it = shard.rooms.find("user:" + user); it != shard.rooms.end())
        for (Socket* s : it->second) targets.push_back(s->weak_from_this());
      for (auto& t : targets) {
        auto s = t.lock();
        if (!s || !s->connected()) continue;
        for (auto& r : *shared) {
          json::object meta{{"id", std::to_string(r.n.id)}, {"created_at", r.n.created_at}};
          if (r.missed) meta["missed"] = true;
          s->emit(r.n.event, json::array{r.data, std::move(meta)});
        }
        ++here;
      }
      count->sockets += here;
      if (--count->workers == 0 && count->sockets == 0) self->give_back(user, shared, retry);
    });
  }
}

// Unclaims what a push could not deliver. A row no node holds any more is
// pending again: published anew, as missed (another node may have sockets of
// the user; it arrives after newer ones: `missed` tells the client)
// and, when a socket of the user came here meanwhile and `retry`, taken and
// pushed here once more; otherwise it goes out on the user's next connect.
void InboxService::give_back(const std::string& user,
                             std::shared_ptr<const std::vector<Pushed>> rows, bool retry) {
  thread_->post([this, user, rows, retry](InboxStore& st) -> InboxThread::After {
    std::vector<Pushed> pending;
    for (auto& r : *rows) {
      try {
        if (st.unclaim(user, r.n.id)) pending.push_back(r);
      } catch (const std::exception& e) {
        spdlog::warn("inbox: cannot give back notification {} of {}: {}", r.n.id, user, e.what());
      }
    }
    if (pending.empty()) return {};
    std::vector<Pushed> taken;
    if (retry && online(user)) {
      try {
        for (auto& n : st.take_undelivered(user, options_.max_missed_push)) {
          boost::system::error_code ec;
          json::value data = json::parse(n.data, ec);
          taken.push_back(Pushed{std::move(n), ec ? json::value(nullptr) : std::move(data), true});
        }
      } catch (const std::exception& e) {
        spdlog::warn("inbox: cannot take what {} missed: {}", user, e.what());
      }
    }
    return [this, user, pending = std::move(pending), taken = std::move(taken)](bool) mutable {
      if (cluster_->publish)
        for (auto& r : pending)
          cluster_->publish(remote_payload(cluster_->node, r.n, r.data, true));
      if (!taken.empty()) push_here(user, std::move(taken), false);
    };
  });
}

void InboxService::notify(const std::string& user, std::string_view event, json::value data,
                          bool deliver_missed, std::function<void(NotifyResult)> done) {
  store::Notification n;
  n.user = user;
  n.event = std::string(event);
  n.data = json::serialize(data);
  n.created_at = InboxThread::now_ms();
  n.deliver_missed = deliver_missed;
  auto job = [this, n = std::move(n), data = std::move(data),
              done](InboxStore& st) mutable -> InboxThread::After {
    try {
      // Read under the presence lock's ordering: see the header for why this is exact.
      n.delivered = online(n.user) > 0;
      n.id = st.insert(n);
      st.prune_user(n.user, options_.retention, n.created_at);
      const uint64_t unread = n.delivered ? st.unread_count(n.user) : 0;
      return [this, n = std::move(n), data = std::move(data), done, unread](bool committed) {
        if (!committed) {
          if (done) done(NotifyResult{false, "", "the inbox could not store it"});
          return;
        }
        if (done) done(NotifyResult{true, std::to_string(n.id), ""});
        if (n.delivered && cluster_) {
          push_here(n.user, {Pushed{n, data, false}}, true);
          push_unread(n.user, unread, true);
        } else if (n.delivered) {
          push(n, data, false);
          push_unread(n.user, unread);
        }
        if (cluster_ && cluster_->publish)
          cluster_->publish(remote_payload(cluster_->node, n, data));
      };
    } catch (const std::exception& e) {
      spdlog::error("inbox: cannot store a notification for {}: {}", n.user, e.what());
      std::string why = e.what();
      return [done, why](bool) {
        if (done) done(NotifyResult{false, "", why});
      };
    }
  };
  if (!thread_->post(std::move(job)) && done)
    done(NotifyResult{false, "", "the inbox is stopping"});
}

void InboxService::list(store::PageQuery q, AnswerFn done) {
  auto job = [q = std::move(q), done](InboxStore& st) -> InboxThread::After {
    Answer a;
    try {
      auto page = st.page(q);
      json::array items;
      items.reserve(page.items.size());
      for (auto& n : page.items) items.push_back(notification_json(n));
      a.ok = true;
      a.body["items"] = std::move(items);
      a.body["total"] = page.total;
      a.body["unread"] = page.unread;
      a.body["next"] = page.more && !page.items.empty()
                           ? json::value(std::to_string(page.items.back().id))
                           : json::value(nullptr);
    } catch (const std::exception& e) {
      a.code = "storage_error";
      a.message = e.what();
    }
    return [a = std::move(a), done](bool) mutable { done(std::move(a)); };
  };
  if (!thread_->post(std::move(job))) done(Answer{false, "stopping", "the inbox is stopping", {}});
}

void InboxService::delete_user(const std::string& user, AnswerFn done) {
  auto job = [this, user, done](InboxStore& st) -> InboxThread::After {
    Answer a;
    try {
      a.body["deleted"] = st.delete_user(user);
      a.ok = true;
    } catch (const std::exception& e) {
      a.code = "storage_error";
      a.message = e.what();
    }
    return [this, user, a = std::move(a), done](bool committed) mutable {
      if (!committed && a.ok) a = Answer{false, "storage_error", "the inbox could not commit", {}};
      if (a.ok && a.body["deleted"].to_number<uint64_t>() > 0) push_unread(user, 0);
      if (done) done(std::move(a));
    };
  };
  if (!thread_->post(std::move(job)) && done)
    done(Answer{false, "stopping", "the inbox is stopping", {}});
}

void InboxService::on_connect(Socket& s) {
  if (!s.authenticated()) return;
  const std::string user = s.user_id();
  {
    std::lock_guard lk(mu_);
    ++online_[user];
  }
  // Behind any insert already queued: those stored undelivered are taken here.
  std::weak_ptr<Socket> weak = s.weak_from_this();
  net::Worker* w = workers_[s.worker_index()];
  thread_->post([this, user, weak, w](InboxStore& st) -> InboxThread::After {
    if (!online(user)) return {};  // gone again: keep them for the next connect
    std::vector<store::Notification> missed;
    try {
      missed = st.take_undelivered(user, options_.max_missed_push);
    } catch (const std::exception& e) {
      spdlog::warn("inbox: cannot take what {} missed: {}", user, e.what());
      return {};
    }
    std::optional<uint64_t> unread;
    try {
      unread = st.unread_count(user);
    } catch (const std::exception& e) {
      // The taken ones are pushed all the same; only the badge is skipped.
      spdlog::warn("inbox: cannot count {}'s unread: {}", user, e.what());
    }
    return [this, user, missed = std::move(missed), unread, weak, w](bool committed) {
      if (!committed) return;
      std::vector<Pushed> rows;
      for (auto& n : missed) {
        boost::system::error_code ec;
        json::value data = json::parse(n.data, ec);
        rows.push_back(Pushed{n, ec ? json::value(nullptr) : std::move(data), true});
      }
      if (cluster_) {
        if (!rows.empty()) push_here(user, std::move(rows), false);
      } else {
        for (auto& r : rows) push(r.n, r.data, true);
      }
      // The badge for the new socket only; the others know it already.
      if (!unread) return;
      w->post([weak, unread = *unread] {
        if (auto sock = weak.lock(); sock && sock->connected())
          sock->emit("unread_count", json::array{json::object{{"unread", unread}}});
      });
    };
  });
}

void InboxService::on_disconnect(Socket& s) {
  if (!s.authenticated()) return;
  std::lock_guard lk(mu_);
  auto it = online_.find(s.user_id());
  if (it != online_.end() && --it->second == 0) online_.erase(it);
}

// Moves the client's ack id out of `e` so the answer can be sent later.
static std::shared_ptr<Event> take_ack(Event& e) {
  auto req = std::make_shared<Event>();
  req->name = e.name;
  req->ack_id = e.ack_id;
  e.ack_id.reset();
  return req;
}

static const json::object* object_arg(const Event& e, bool& ok) {
  ok = true;
  if (e.args.empty() || e.args[0].is_null()) return nullptr;
  if (!e.args[0].is_object()) {
    ok = false;
    return nullptr;
  }
  return &e.args[0].as_object();
}

void InboxService::get_notifications(Socket& s, Event& e) {
  auto fail = [&](std::string_view code, std::string_view msg) {
    s.ack(e, json::array{inbox_error(code, msg)});
  };
  if (!s.authenticated()) return fail("unauthorized", "the inbox needs an authenticated socket");
  bool ok;
  const json::object* o = object_arg(e, ok);
  if (!ok) return fail("invalid_argument", "expected {limit?, before?, unread_only?}");
  store::PageQuery q;
  q.user = s.user_id();
  q.limit = std::min<uint32_t>(50, options_.max_page);
  const std::string range = "1.." + std::to_string(options_.max_page);
  if (o) {
    for (auto& [k, v] : *o)
      if (k != "limit" && k != "before" && k != "unread_only")
        return fail("invalid_argument", "unknown field \"" + std::string(k) + "\"");
    if (auto* v = o->if_contains("limit"); v && !v->is_null()) {
      auto n = parse_id(*v);
      if (!n || v->is_string() || *n < 1 || *n > options_.max_page)
        return fail("invalid_argument", "limit must be an integer in " + range);
      q.limit = static_cast<uint32_t>(*n);
    }
    if (auto* v = o->if_contains("before"); v && !v->is_null()) {
      q.before = parse_id(*v);
      if (!q.before) return fail("invalid_argument", "before must be a notification id");
    }
    if (auto* v = o->if_contains("unread_only"); v && !v->is_null()) {
      if (!v->is_bool()) return fail("invalid_argument", "unread_only must be true or false");
      q.unread_only = v->as_bool();
    }
  }
  if (!e.wants_ack()) return;  // nobody to answer
  auto req = take_ack(e);
  std::weak_ptr<Socket> weak = s.weak_from_this();
  net::Worker* w = workers_[s.worker_index()];
  list(std::move(q), [weak, w, req](Answer a) {
    json::value v =
        a.ok ? json::value(std::move(a.body)) : json::value(inbox_error(a.code, a.message));
    w->post([weak, req, v = std::move(v)]() mutable {
      if (auto sock = weak.lock()) sock->ack(*req, json::array{std::move(v)});
    });
  });
}

void InboxService::mark_read(Socket& s, Event& e) {
  auto fail = [&](std::string_view code, std::string_view msg) {
    s.ack(e, json::array{inbox_error(code, msg)});
  };
  if (!s.authenticated()) return fail("unauthorized", "the inbox needs an authenticated socket");
  bool ok;
  const json::object* o = object_arg(e, ok);
  if (!ok || !o) return fail("invalid_argument", "expected {ids: [...]} or {all: true}");
  const bool all = o->contains("all") && o->at("all") == true;
  std::vector<uint64_t> ids;
  if (!all) {
    auto* v = o->if_contains("ids");
    if (!v || !v->is_array())
      return fail("invalid_argument", "expected {ids: [...]} or {all: true}");
    const auto& arr = v->as_array();
    if (arr.empty() || arr.size() > options_.max_ids)
      return fail("invalid_argument",
                  "ids must hold 1.." + std::to_string(options_.max_ids) + " notification ids");
    std::set<uint64_t> seen;
    for (size_t i = 0; i < arr.size(); ++i) {
      auto id = parse_id(arr[i]);
      if (!id)
        return fail("invalid_argument", "ids[" + std::to_string(i) + "] is not a notification id");
      if (seen.insert(*id).second) ids.push_back(*id);
    }
  }
  auto req = take_ack(e);
  std::weak_ptr<Socket> weak = s.weak_from_this();
  net::Worker* w = workers_[s.worker_index()];
  const std::string user = s.user_id();
  auto job = [this, user, all, ids = std::move(ids), weak, w,
              req](InboxStore& st) -> InboxThread::After {
    json::object body;
    uint64_t updated = 0, unread = 0;
    try {
      if (all) {
        updated = st.mark_all_read(user);
      } else {
        auto found = st.existing(user, ids);
        updated = st.mark_read(user, found);
        json::array missing;
        for (uint64_t id : ids)
          if (std::find(found.begin(), found.end(), id) == found.end())
            missing.emplace_back(std::to_string(id));
        body["not_found"] = std::move(missing);
      }
      unread = st.unread_count(user);
    } catch (const std::exception& ex) {
      json::value err = inbox_error("storage_error", ex.what());
      return [err, weak, w, req](bool) {
        w->post([weak, req, err] {
          if (auto sock = weak.lock()) sock->ack(*req, json::array{err});
        });
      };
    }
    body["updated"] = updated;
    body["unread"] = unread;
    return [this, user, body = std::move(body), updated, unread, weak, w, req](bool committed) {
      json::value v = committed ? json::value(body)
                                : json::value(inbox_error("storage_error", "not committed"));
      if (committed && updated > 0) push_unread(user, unread);
      if (req->wants_ack())
        w->post([weak, req, v = std::move(v)]() mutable {
          if (auto sock = weak.lock()) sock->ack(*req, json::array{std::move(v)});
        });
    };
  };
  if (!thread_->post(std::move(job))) {
    s.ack(*req, json::array{inbox_error("stopping", "the inbox is stopping")});
  }
}

}  // namespace sb::sio
