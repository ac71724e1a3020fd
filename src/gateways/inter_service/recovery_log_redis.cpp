#include "gateways/inter_service/recovery_log_redis.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/backoff.hpp"
#include "gateways/inter_service/recovery_log_codec.hpp"
#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One command; null when the connection broke (c->err set) or Redis said no.
Reply command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> len;
  for (auto& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), len.data())));
}

bool is_error(const Reply& r) {
  return !r || r->type == REDIS_REPLY_ERROR;
}

std::string_view str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string_view(r->str, r->len)
             : std::string_view();
}

// A stream entry [id, [field, value, ...]]: its id and field "m".
bool entry_of(const redisReply* e, protocol::StreamId& id, std::string_view& payload) {
  if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2) return false;
  auto parsed = protocol::parse_stream_id(str(e->element[0]));
  if (!parsed) return false;
  id = *parsed;
  payload = {};
  const redisReply* fields = e->element[1];
  if (fields && fields->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
      if (str(fields->element[i]) == "m") payload = str(fields->element[i + 1]);
  return true;
}

uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

constexpr uint32_t kBlockMs = 200;  // XREAD BLOCK: also how soon stop() is seen
constexpr size_t kPage = 1000;      // XRANGE page

}  // namespace

RedisRecoveryLog::RedisRecoveryLog(RedisRecoveryLogOptions options, sio::SioServer& sio,
                                   ClusterPublisher& fallback)
    : RecoveryLogBase(options, sio, fallback), url_(std::move(options.url)) {}

RedisRecoveryLog::~RedisRecoveryLog() {
  stop();
}

void RedisRecoveryLog::start() {
  if (!writer_.joinable()) start_threads();
}

redisContext* RedisRecoveryLog::connect(uint32_t timeout_ms) {
  timeval tv{static_cast<time_t>(o_.command_timeout_ms / 1000),
             static_cast<suseconds_t>((o_.command_timeout_ms % 1000) * 1000)};
  redisContext* c = redisConnectWithTimeout(url_.host.c_str(), url_.port, tv);
  if (!c) return nullptr;
  auto fail = [&](std::string why) -> redisContext* {
    if (log_limiter_.allow())
      spdlog::warn("cluster recovery log: redis {}:{}: {}", url_.host, url_.port, why);
    redisFree(c);
    return nullptr;
  };
  if (c->err) return fail(c->errstr);
  timeval cmd{static_cast<time_t>(timeout_ms / 1000),
              static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
  redisSetTimeout(c, cmd);
  if (!url_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!url_.user.empty()) auth.push_back(url_.user);
    auth.push_back(url_.password);
    if (is_error(command(c, auth))) return fail("AUTH refused");
  }
  return c;
}

void RedisRecoveryLog::writer_loop() {
  Backoff backoff;
  redisContext* c = nullptr;
  uint64_t last_trim = 0;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (!c) {
      lock.unlock();
      c = connect(o_.command_timeout_ms);
      lock.lock();
      writer_down_ = !c;
      if (!c) {
        // Down: what waits fails now (broadcasts fall back, restores connect afresh).
        lock.unlock();
        fail_queued();
        lock.lock();
        cv_.wait_for(lock, std::chrono::milliseconds(backoff.next()), [&] { return stopping_; });
        continue;
      }
      backoff.reset();
    }
    auto batch = next_jobs(lock);
    if (stopping_) break;
    lock.unlock();
    for (auto& j : batch) {
      j(c);
      if (c && c->err) {  // broken: the next jobs fail, the next round reconnects
        redisFree(c);
        c = nullptr;
      }
    }
    // Age bound: entries older than a session can live are of no use. Measured
    // on Redis's clock (the ms of the last id it gave us), not this machine's.
    const uint64_t newest = last_added_ms_.load(std::memory_order_relaxed);
    if (c && newest > o_.recovery.max_disconnection_ms && wall_ms() - last_trim >= 1000) {
      last_trim = wall_ms();
      const uint64_t min_ms = newest - o_.recovery.max_disconnection_ms;
      if (!command(c, {"XTRIM", stream_key(), "MINID", "~", std::to_string(min_ms)}) && c->err) {
        redisFree(c);
        c = nullptr;
      }
    }
    lock.lock();
  }
  lock.unlock();
  if (c) redisFree(c);
}

void RedisRecoveryLog::append(const sio::ClusterEmit& e) {
  auto b = std::make_shared<emitter::Broadcast>(entry_of_emit(e, o_.uid));
  enqueue([this, b](redisContext* c) {
    if (!c) return fallback(*b);
    auto r =
        command(c, {"XADD", stream_key(), "MAXLEN", "~", std::to_string(o_.recovery.max_packets),
                    "*", "uid", o_.uid, "m", emitter::encode_broadcast(*b)});
    if (!is_error(r))
      if (auto id = protocol::parse_stream_id(str(r.get())))
        last_added_ms_.store(id->ms, std::memory_order_relaxed);
    if (is_error(r)) {
      fallback(*b);
      if (r && log_limiter_.allow())
        spdlog::warn("cluster recovery log: XADD refused: {}", str(r.get()));
    }
    // Else the reader delivers it, here as on every node.
  });
}

void RedisRecoveryLog::save(const sio::SavedSession& s) {
  enqueue([this, key = session_key(s.pid), value = encode_session(s)](redisContext* c) {
    if (!c) {
      if (log_limiter_.allow())
        spdlog::warn("cluster recovery log: redis down, a dropped session is not saved");
      return;
    }
    command(c, {"SET", key, value, "PX", std::to_string(o_.recovery.max_disconnection_ms)});
  });
}

void RedisRecoveryLog::restore(std::string pid, std::string offset, std::string nsp,
                               RestoreDone done) {
  enqueue([this, pid = std::move(pid), offset = std::move(offset), nsp = std::move(nsp),
           done = std::move(done)](redisContext* c) {
    if (!c) return done(std::nullopt);
    auto got = command(c, {"GETDEL", session_key(pid)});  // a pid is good for one recovery
    if (!got || got->type != REDIS_REPLY_STRING) return done(std::nullopt);
    auto session = decode_session(str(got.get()));
    const auto from = protocol::parse_stream_id(offset);
    if (!session || session->nsp != nsp || !from) return done(std::nullopt);
    session->pid = pid;
    sio::SharedRestored out;
    out.upto = *from;
    std::string start = from->to_string();
    bool first = true;
    size_t seen = 0;
    for (;;) {
      auto r = command(c, {"XRANGE", stream_key(), start, "+", "COUNT", std::to_string(kPage)});
      if (!r || r->type != REDIS_REPLY_ARRAY) return done(std::nullopt);
      for (size_t i = 0; i < r->elements; ++i) {
        protocol::StreamId id;
        std::string_view payload;
        if (!entry_of(r->element[i], id, payload)) continue;
        if (first) {
          first = false;
          // The client's last entry must still be there, or it would miss some.
          if (id != *from) return done(std::nullopt);
          continue;
        }
        out.upto = id;
        auto b = broadcast_from_entry(id, payload);
        if (b && b->nsp == nsp && sio::broadcast_reaches(*b, session->sid, session->rooms))
          out.missed.push_back(std::move(b));
      }
      seen += r->elements;
      if (first) return done(std::nullopt);  // the offset is gone (trimmed) or never was
      if (r->elements < kPage) break;
      if (seen > o_.recovery.max_packets + kPage)  // more than the history holds
        return done(std::nullopt);
      start = "(" + out.upto.to_string();
    }
    out.session = std::move(*session);
    done(std::move(out));
  });
}

bool RedisRecoveryLog::read_batch(redisContext* c) {
  auto r = command(c, {"XREAD", "COUNT", "512", "BLOCK", std::to_string(kBlockMs), "STREAMS",
                       stream_key(), last_read_.to_string()});
  if (!r) return !c->err;
  if (r->type != REDIS_REPLY_ARRAY) return r->type == REDIS_REPLY_NIL;
  for (size_t s = 0; s < r->elements; ++s) {
    const redisReply* stream = r->element[s];
    if (!stream || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) continue;
    const redisReply* entries = stream->element[1];
    if (!entries || entries->type != REDIS_REPLY_ARRAY) continue;
    for (size_t i = 0; i < entries->elements; ++i) {
      protocol::StreamId id;
      std::string_view payload;
      if (!entry_of(entries->element[i], id, payload)) continue;
      last_read_ = id;
      deliver(id, payload);
    }
  }
  return true;
}

void RedisRecoveryLog::reader_loop() {
  Backoff backoff;
  bool started = false;
  for (;;) {
    if (stopping()) return;
    redisContext* c = connect(kBlockMs + o_.command_timeout_ms);
    if (!c) {
      pause(backoff.next());
      continue;
    }
    backoff.reset();
    if (!started) {
      // Where the stream is now: what this node appends from here on comes after.
      auto tip = command(c, {"XREVRANGE", stream_key(), "+", "-", "COUNT", "1"});
      if (!tip || tip->type != REDIS_REPLY_ARRAY) {
        redisFree(c);
        continue;
      }
      std::string_view unused;
      if (tip->elements == 0 || !entry_of(tip->element[0], last_read_, unused)) last_read_ = {};
      started = true;
      spdlog::info("cluster recovery log: stream \"{}\" from {}", stream_key(),
                   last_read_.to_string());
    }
    // Entries missed while away may have been trimmed: restart what is held.
    recent_.reset(last_read_);
    reader_in_place();
    bool lost = false;
    while (!stopping())
      if ((lost = !read_batch(c))) break;
    redisFree(c);
    if (lost && log_limiter_.allow())
      spdlog::warn("cluster recovery log: reader lost redis, reconnecting");
  }
}

}  // namespace sb::inter_service
