#include "gateways/intra_service/sse_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <mutex>

#include "auth/jwt_verifier.hpp"
#include "auth/key_ring.hpp"
#include "gateways/intra_service/sse_connection.hpp"
#include "gateways/intra_service/sse_request.hpp"
#include "gateways/intra_service/sse_stream.hpp"
#include "net/http_connection.hpp"
#include "net/stream_connection.hpp"
#include "net/worker.hpp"
#include "protocol/sse_codec.hpp"

namespace sb::intra {

namespace json = boost::json;

static std::string json_quote(std::string_view s) {
  return json::serialize(json::string(s));
}

SseServer::SseServer(std::vector<net::Worker*> workers, SseOptions options, StreamCatalog catalog,
                     std::shared_ptr<const JwtVerifier> verifier, CorsPolicy cors,
                     Guard dashboard_guard)
    : workers_(std::move(workers)),
      options_(options),
      catalog_(std::move(catalog)),
      verifier_(std::move(verifier)),
      cors_(std::move(cors)),
      dashboard_guard_(std::move(dashboard_guard)),
      // The epoch names this server instance: ids from another one (before a
      // restart) are recognised and answered with a reset, not misread.
      epoch_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count())),
      shards_(workers_.size()),
      heartbeat_bytes_(std::make_shared<const std::string>(sse::encode_comment("heartbeat"))) {
  // Named streams exist from the start (ids count from server start, so a
  // client that connected before the first event can still resume).
  for (auto& r : catalog_.rules())
    if (!r.family())
      streams_.emplace(r.name, std::make_unique<SseStream>(r.name, r, workers_.size()));
}

SseServer::~SseServer() = default;

void SseServer::start() {
  if (!options_.heartbeat_ms) return;
  for (auto* w : workers_) {
    const unsigned wi = w->index();
    w->post([this, w, wi] {
      w->wheel().schedule_in(options_.heartbeat_ms, [this, wi] { heartbeat(wi); });
    });
  }
}

void SseServer::heartbeat(unsigned worker) {
  // One wheel entry per worker, not per connection: connections that wrote
  // nothing since the last beat get the shared comment.
  for (auto& c : shards_[worker].conns) {
    if (c->out().take_activity()) continue;
    c->out().send(heartbeat_bytes_, *heartbeat_bytes_);
    c->out().take_activity();  // the beat itself is not activity
  }
  workers_[worker]->wheel().schedule_in(options_.heartbeat_ms,
                                        [this, worker] { heartbeat(worker); });
}

SseStream* SseServer::get_or_create(std::string_view name, const StreamRule& rule, bool& too_many) {
  too_many = false;
  {
    std::shared_lock lk(streams_mu_);
    if (auto it = streams_.find(std::string(name)); it != streams_.end()) return it->second.get();
  }
  std::unique_lock lk(streams_mu_);
  if (auto it = streams_.find(std::string(name)); it != streams_.end()) return it->second.get();
  // Streams are never freed while the server runs (subscribers and posted
  // deliveries hold raw pointers), so their number is capped instead.
  if (streams_.size() >= options_.max_streams) {
    too_many = true;
    return nullptr;
  }
  auto s = std::make_unique<SseStream>(std::string(name), rule, workers_.size());
  auto* p = s.get();
  streams_.emplace(std::string(name), std::move(s));
  return p;
}

SseServer::Published SseServer::publish(std::string_view stream, std::string_view event,
                                        std::string_view data, int level) {
  Published r;
  auto fail = [&](int status, const char* code, std::string message) {
    r.status = status;
    r.code = code;
    r.message = std::move(message);
    return r;
  };
  if (!StreamCatalog::valid_name(stream))
    return fail(400, "invalid_stream", "\"" + std::string(stream) + "\" is not a stream name");
  if (!sse::valid_field_value(event) || event.size() > 200)
    return fail(400, "invalid_event", "event names are one line of at most 200 bytes");
  const StreamRule* rule = catalog_.find(stream);
  if (!rule) return fail(404, "unknown_stream", "no stream \"" + std::string(stream) + "\"");
  bool too_many = false;
  SseStream* s = get_or_create(stream, *rule, too_many);
  if (!s) return fail(503, "too_many_streams", "the server's stream limit is reached");
  std::string fields;
  fields.reserve(event.size() + data.size() + 24);
  sse::append_fields(fields, event, data);
  const uint64_t order = order_.fetch_add(1, std::memory_order_relaxed) + 1;
  auto msg = s->publish(epoch_, std::move(fields), level, order,
                        [this, s](const SseMessagePtr& m, unsigned w) {
                          // post, never dispatch: inline delivery could overtake
                          // earlier events of this stream still queued there.
                          workers_[w]->post([this, s, m, w] { deliver_local(w, s, m); });
                        });
  counters_.published.fetch_add(1, std::memory_order_relaxed);
  r.ok = true;
  r.id = std::to_string(epoch_) + "-" + std::to_string(msg->seq);
  return r;
}

void SseServer::deliver_local(unsigned worker, SseStream* s, const SseMessagePtr& m) {
  auto& sh = shards_[worker];
  auto it = sh.subs.find(s);
  if (it == sh.subs.end()) return;
  for (auto& sub : it->second)
    if (sub.conn->deliver(sub.topic, m)) ++sh.delivered;
}

void SseServer::handle(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req) {
  const auto cors = cors_.headers(req.header("origin"));
  if (req.method == "OPTIONS") {
    net::HttpResponse r;
    r.status = 204;
    r.headers = cors_.preflight(req.header("origin"), req.header("access-control-request-headers"));
    return conn->respond(std::move(r));
  }
  auto refuse = [&](int status, std::string_view code, std::string_view message) {
    counters_.refused.fetch_add(1, std::memory_order_relaxed);
    auto r = net::api_error(status, code, message);
    for (auto& h : cors) r.headers.push_back(h);
    if (status == 401) r.header("WWW-Authenticate", "Bearer");
    conn->respond(std::move(r));
  };
  if (req.method != "GET") return refuse(405, "method_not_allowed", "use GET");

  SseRequest sr;
  if (auto err = parse_sse_request(req, options_.max_topics, sr))
    return refuse(err->status, err->code, err->message);

  std::vector<const StreamRule*> rules;
  for (auto& name : sr.streams) {
    const StreamRule* rule = catalog_.find(name);
    if (!rule) return refuse(404, "unknown_stream", "no stream \"" + name + "\"");
    rules.push_back(rule);
  }
  // Guard: a token, when given, must be valid even for public streams.
  std::optional<std::string> user;
  if (!sr.token.empty()) {
    const auto verifier = key_ring_ ? key_ring_->verifier() : verifier_;
    if (!verifier) return refuse(401, "invalid_token", "no JWT key is configured");
    auto v = verifier->verify(sr.token);
    if (!v.ok) return refuse(401, "invalid_token", v.error);
    user = std::move(v.subject);
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& name = sr.streams[i];
    switch (rules[i]->access) {
      case Access::Public:
        break;
      case Access::Authenticated:
        if (!user) return refuse(401, "unauthorized", "stream \"" + name + "\" needs a token");
        break;
      case Access::User:
        if (!user) return refuse(401, "unauthorized", "stream \"" + name + "\" needs a token");
        if (StreamCatalog::user_of(*rules[i], name) != *user)
          return refuse(403, "forbidden", "stream \"" + name + "\" belongs to another user");
        break;
      case Access::Dashboard:
        if (!dashboard_guard_ || !dashboard_guard_(req))
          return refuse(401, "unauthorized", "stream \"" + name + "\" needs the dashboard key");
        break;
    }
  }
  std::vector<SseStream*> streams;
  for (size_t i = 0; i < rules.size(); ++i) {
    bool too_many = false;
    SseStream* s = get_or_create(sr.streams[i], *rules[i], too_many);
    if (!s) return refuse(503, "too_many_streams", "the server's stream limit is reached");
    streams.push_back(s);
  }

  // From here on the socket is ours: a close-delimited text/event-stream body.
  net::Worker& w = conn->worker();
  const unsigned wi = w.index();
  std::string remote = conn->remote_address();
  auto detached = conn->detach();
  auto sock = net::adopt_socket(w, detached.fd);
  if (!sock.is_open()) return;
  auto out = std::make_shared<net::StreamConnection>(w, std::move(sock), options_.max_buffer_bytes,
                                                     std::move(remote));
  auto c = std::make_shared<SseConnection>(out, epoch_, sr.min_level);

  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache, no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n";
  for (auto& [k, v] : cors) head += k + ": " + v + "\r\n";
  head += "\r\n";
  sse::append_retry(head, options_.retry_ms);
  head += '\n';
  out->send(std::move(head));

  // A position from another server instance means nothing here.
  const bool other_epoch = sr.last_event_id && sr.last_event_id->epoch != epoch_;
  auto& sh = shards_[wi];
  std::vector<SseStream::Subscription> subs;
  subs.reserve(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    std::optional<uint64_t> after;
    if (sr.last_event_id && !other_epoch) after = sr.last_event_id->seqs[i];
    auto sub = streams[i]->subscribe(wi, after, sr.last_event_id ? 0 : sr.history);
    if (other_epoch) {
      sub.start = SseStream::Start::Reset;
      sub.reset_reason = "server_restart";
    }
    // Registering in this worker's shard now, on this worker, before any
    // posted delivery of a later event can run here.
    auto& list = sh.subs[streams[i]];
    c->topics().push_back(SseConnection::Topic{streams[i], 0, static_cast<uint32_t>(list.size())});
    list.push_back(Sub{c.get(), static_cast<uint32_t>(i)});
    subs.push_back(std::move(sub));
  }
  // Positions: a reset or live stream starts at its current end; a replayed
  // one at the client's position, advanced by the replay below.
  for (size_t i = 0; i < subs.size(); ++i) {
    auto& t = c->topics()[i];
    if (subs[i].start == SseStream::Start::Replay)
      t.position = subs[i].replay.empty() ? subs[i].position : subs[i].replay.front()->seq - 1;
    else
      t.position = subs[i].position;
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    if (subs[i].start != SseStream::Start::Reset) continue;
    counters_.resets.fetch_add(1, std::memory_order_relaxed);
    const std::string why = subs[i].reset_reason;
    c->control("reset", "{\"stream\":" + json_quote(streams[i]->name()) + ",\"reason\":\"" + why +
                            "\",\"message\":\"events since the given Last-Event-ID are not "
                            "available; re-fetch the state\"}");
  }
  // Replays of several streams interleave in publish order; each stream's own
  // order is kept (a k-way merge of lists already in seq order).
  std::vector<size_t> next(subs.size(), 0);
  for (;;) {
    size_t best = subs.size();
    for (size_t i = 0; i < subs.size(); ++i) {
      if (next[i] >= subs[i].replay.size()) continue;
      if (best == subs.size() ||
          subs[i].replay[next[i]]->order < subs[best].replay[next[best]]->order)
        best = i;
    }
    if (best == subs.size()) break;
    if (c->deliver(static_cast<uint32_t>(best), subs[best].replay[next[best]])) ++sh.delivered;
    ++next[best];
  }
  // "ready" tells the client it is subscribed, and its id sets the client's
  // Last-Event-ID even when no event came yet, so a drop right away resumes.
  std::string streams_json = "[";
  for (size_t i = 0; i < streams.size(); ++i)
    streams_json += (i ? "," : "") + json_quote(streams[i]->name());
  streams_json += "]";
  c->control("ready", "{\"streams\":" + streams_json +
                          ",\"resumed\":" + (sr.last_event_id ? "true" : "false") + "}");

  c->index = static_cast<uint32_t>(sh.conns.size());
  sh.conns.push_back(c);
  counters_.connections_opened.fetch_add(1, std::memory_order_relaxed);
  SseConnection* raw = c.get();
  out->set_on_closed([this, wi, raw](const char* reason) { remove(wi, raw, reason); });
  out->start();
}

void SseServer::remove(unsigned worker, SseConnection* c, const char* reason) {
  auto& sh = shards_[worker];
  if (std::string_view(reason) == "slow consumer") {
    counters_.slow_consumers.fetch_add(1, std::memory_order_relaxed);
    if (log_limiter_.allow())
      spdlog::warn("sse: disconnected a slow consumer ({}): more than {} bytes unsent",
                   c->out().remote_address(), options_.max_buffer_bytes);
  }
  for (auto& t : c->topics()) {
    auto it = sh.subs.find(t.stream);
    if (it != sh.subs.end()) {
      auto& list = it->second;
      // Swap-remove, fixing the moved subscriber's slot.
      const uint32_t slot = t.slot;
      if (slot + 1 != list.size()) {
        list[slot] = list.back();
        list[slot].conn->topics()[list[slot].topic].slot = slot;
      }
      list.pop_back();
      if (list.empty()) sh.subs.erase(it);
    }
    t.stream->unsubscribe(worker);
  }
  const uint32_t idx = c->index;
  if (idx < sh.conns.size() && sh.conns[idx].get() == c) {
    auto keep = std::move(sh.conns[idx]);  // `c` lives until we return
    if (idx + 1 != sh.conns.size()) {
      sh.conns[idx] = std::move(sh.conns.back());
      sh.conns[idx]->index = idx;
    }
    sh.conns.pop_back();
  }
}

void SseServer::close_all(unsigned worker, const char* reason) {
  auto conns = shards_[worker].conns;
  for (auto& c : conns) c->out().close(reason);
}

SseWorkerStats SseServer::worker_stats(unsigned worker) const {
  return SseWorkerStats{shards_[worker].conns.size(), shards_[worker].delivered};
}

SseServer::History SseServer::history(std::string_view stream, size_t limit) const {
  History h;
  if (!StreamCatalog::valid_name(stream)) {
    h.status = 400;
    h.code = "invalid_stream";
    h.message = "\"" + std::string(stream) + "\" is not a stream name";
    return h;
  }
  const StreamRule* rule = catalog_.find(stream);
  if (!rule) {
    h.status = 404;
    h.code = "unknown_stream";
    h.message = "no stream \"" + std::string(stream) + "\"";
    return h;
  }
  h.ok = true;
  h.kept = rule->history_size;
  std::shared_lock lk(streams_mu_);
  if (auto it = streams_.find(std::string(stream)); it != streams_.end()) {
    h.last_seq = it->second->last_seq();
    h.events = it->second->recent(limit);
  }
  return h;
}

std::vector<StreamInfo> SseServer::streams() const {
  std::vector<StreamInfo> out;
  std::shared_lock lk(streams_mu_);
  out.reserve(streams_.size());
  for (auto& [name, s] : streams_)
    out.push_back(StreamInfo{name, to_string(s->rule().access), s->last_seq(), s->history_count(),
                             s->subscriber_count()});
  return out;
}

}  // namespace sb::intra
