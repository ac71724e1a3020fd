#include "gateways/inter_service/recovery_log_nats.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/backoff.hpp"
#include "gateways/inter_service/recovery_log_codec.hpp"
#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

namespace {

constexpr int64_t kPollMs = 200;  // reader's wait for a message: also how soon stop() is seen
constexpr int64_t kNsPerMs = 1000000;

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using Msg = std::unique_ptr<natsMsg, MsgDeleter>;
struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using Sub = std::unique_ptr<natsSubscription, SubDeleter>;
// Since cnats 3.4 only an unsubscribe deletes the consumer at once (a destroyed
// subscription's ephemeral consumer lingers until the server's inactivity
// threshold): done while connected, where the request gets an answer.
void unsubscribe(Sub& sub) {
  if (sub) natsSubscription_Unsubscribe(sub.get());
  sub.reset();
}
struct InfoDeleter {
  void operator()(jsStreamInfo* i) const { jsStreamInfo_Destroy(i); }
};
using Info = std::unique_ptr<jsStreamInfo, InfoDeleter>;

// Pids we issue ([A-Za-z0-9_-]); anything else a client sends is no subject token.
bool valid_pid(std::string_view pid) {
  if (pid.empty() || pid.size() > 64) return false;
  for (char c : pid)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

void on_async_connected(natsConnection*, void*) {}  // makes the first connect asynchronous

std::string why(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string out = natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last && *last) out = last;
  if (code) out += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return out;
}

bool jetstream_missing(natsStatus s, jsErrCode code) {
  return s == NATS_NO_RESPONDERS || code == JSNotEnabledErr || code == JSNotEnabledForAccountErr;
}

uint64_t reconnects_of(natsConnection* nc) {
  natsStatistics* st = nullptr;
  uint64_t n = 0;
  if (natsStatistics_Create(&st) != NATS_OK) return 0;
  if (natsConnection_GetStats(nc, st) == NATS_OK)
    natsStatistics_GetCounts(st, nullptr, nullptr, nullptr, nullptr, &n);
  natsStatistics_Destroy(st);
  return n;
}

// An ordered consumer of `subject` in `stream` from sequence `from`.
natsStatus subscribe_from(Sub& out, jsCtx* js, const std::string& stream,
                          const std::string& subject, uint64_t from, jsErrCode* code) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = std::max<uint64_t>(from, 1);
  natsSubscription* sub = nullptr;
  const natsStatus s = js_SubscribeSync(&sub, js, subject.c_str(), nullptr, &so, code);
  out.reset(s == NATS_OK ? sub : nullptr);
  return s;
}

}  // namespace

std::string jetstream_name(std::string_view prefix) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : prefix) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '_';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

NatsRecoveryLog::NatsRecoveryLog(NatsRecoveryLogOptions options, sio::SioServer& sio,
                                 ClusterPublisher& fallback)
    : RecoveryLogBase(options, sio, fallback),
      servers_(std::move(options.servers)),
      on_unavailable_(std::move(options.on_unavailable)) {}

NatsRecoveryLog::~NatsRecoveryLog() {
  stop();
}

void NatsRecoveryLog::start() {
  if (writer_.joinable() || nc_) return;
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) {
    spdlog::error("cluster recovery log: cannot create NATS options");
    return;
  }
  std::vector<const char*> servers;
  for (auto& s : servers_) servers.push_back(s.c_str());
  natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  natsOptions_SetName(opts, ("switchboard:recovery:" + o_.uid).c_str());
  natsOptions_SetTimeout(opts, o_.command_timeout_ms);
  natsOptions_SetAllowReconnect(opts, true);
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 250);
  natsOptions_SetRetryOnFailedConnect(opts, true, &on_async_connected, nullptr);
  natsOptions_SetPingInterval(opts, 5000);  // a server gone silent is left after ~10 s
  natsOptions_SetMaxPingsOut(opts, 2);
  const natsStatus s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    spdlog::error("cluster recovery log: cannot connect to NATS: {}", why(s));
    nc_ = nullptr;
    return;  // not ready: broadcasts fall back, restores answer at once
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o_.command_timeout_ms;
  if (natsConnection_JetStream(&js_, nc_, &jo) != NATS_OK) {
    spdlog::error("cluster recovery log: no JetStream context");
    natsConnection_Destroy(nc_);
    nc_ = nullptr;
    return;
  }
  // Decided before the node serves when NATS is there at start: no broadcast
  // goes out without an offset on a server that simply has no JetStream.
  if (s == NATS_OK) {
    const Streams r = ensure_streams();
    if (r == Streams::no_jetstream) return step_aside();
    std::lock_guard lock(mu_);
    streams_ok_ = r == Streams::ok;
  }
  start_threads();
}

void NatsRecoveryLog::step_aside() {
  spdlog::warn(
      "cluster recovery log: the NATS server has no JetStream (start it with -js): "
      "connection state recovery stays per node");
  if (on_unavailable_) on_unavailable_();
  {
    // After the call: unavailable() means it was made. Under mu_: the reader
    // waits for it.
    std::lock_guard lock(mu_);
    unavailable_ = true;
  }
  cv_.notify_all();
}

void NatsRecoveryLog::stop() {
  RecoveryLogBase::stop();
  if (js_) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (nc_) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
  nc_ = nullptr;
}

bool NatsRecoveryLog::connected() const {
  return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

NatsRecoveryLog::Streams NatsRecoveryLog::ensure_streams() {
  // Both nodes may create them at once: the same settings are accepted again;
  // settings that differ (another node's max_packets) are updated to ours.
  auto make = [&](jsStreamConfig& c) -> Streams {
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&si, js_, &c, nullptr, &code);
    if (s != NATS_OK && code == JSStreamNameExistErr) {
      code = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&si, js_, &c, nullptr, &code);
      if (s != NATS_OK) {
        spdlog::warn("cluster recovery log: stream \"{}\" kept its own settings: {}", c.Name,
                     why(s, code));
        s = js_GetStreamInfo(&si, js_, c.Name, nullptr, &code);
      }
    }
    Info info(si);
    if (s == NATS_OK) return Streams::ok;
    if (jetstream_missing(s, code)) return Streams::no_jetstream;
    if (log_limiter_.allow())
      spdlog::warn("cluster recovery log: cannot create stream \"{}\": {}", c.Name, why(s, code));
    return Streams::pending;
  };
  const int64_t max_age = static_cast<int64_t>(o_.recovery.max_disconnection_ms) * kNsPerMs;
  const std::string log_name = stream_name(), log_subj = log_subject();
  const char* log_subjects[] = {log_subj.c_str()};
  jsStreamConfig log;
  jsStreamConfig_Init(&log);
  log.Name = log_name.c_str();
  log.Subjects = log_subjects;
  log.SubjectsLen = 1;
  log.MaxMsgs = static_cast<int64_t>(o_.recovery.max_packets);
  log.MaxAge = max_age;
  log.Storage = js_FileStorage;
  log.Discard = js_DiscardOld;
  if (Streams r = make(log); r != Streams::ok) return r;

  const std::string sess_name = sessions_name(), sess_subj = session_subject("*");
  const char* sess_subjects[] = {sess_subj.c_str()};
  jsStreamConfig sess;
  jsStreamConfig_Init(&sess);
  sess.Name = sess_name.c_str();
  sess.Subjects = sess_subjects;
  sess.SubjectsLen = 1;
  sess.MaxMsgsPerSubject = 1;  // a pid's latest state
  sess.MaxAge = max_age;
  sess.Storage = js_FileStorage;
  sess.Discard = js_DiscardOld;
  return make(sess);
}

void NatsRecoveryLog::writer_loop() {
  Backoff backoff;
  std::unique_lock lock(mu_);
  while (!stopping_ && !streams_ok_) {
    Streams r = Streams::pending;
    if (connected()) {
      lock.unlock();
      r = ensure_streams();
      lock.lock();
    }
    if (r == Streams::ok) {
      streams_ok_ = true;
      cv_.notify_all();
      break;
    }
    if (r == Streams::no_jetstream) {
      lock.unlock();
      return step_aside();
    }
    cv_.wait_for(lock, std::chrono::milliseconds(backoff.next()), [&] { return stopping_; });
  }
  while (!stopping_) {
    auto batch = next_jobs(lock);
    if (stopping_) break;
    lock.unlock();
    for (auto& j : batch) {
      // A server that stops answering (no disconnect seen yet) would cost a
      // full timeout per job: after one, the next jobs fail at once for a while.
      const auto now = std::chrono::steady_clock::now();
      j(connected() && now >= stalled_until_ ? js_ : nullptr);
      if (timed_out_) {
        timed_out_ = false;
        stalled_until_ =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.command_timeout_ms);
      }
    }
    lock.lock();
  }
}

void NatsRecoveryLog::append(const sio::ClusterEmit& e) {
  auto b = std::make_shared<emitter::Broadcast>(entry_of_emit(e, o_.uid));
  enqueue([this, b](jsCtx* js) {
    if (!js) return fallback(*b);
    const std::string data = emitter::encode_broadcast(*b);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus s = js_Publish(&ack, js, log_subject().c_str(), data.data(),
                                    static_cast<int>(data.size()), nullptr, &code);
    if (ack) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      // Refused, or no ack in time (then it may be in the log too: outcome unknown).
      timed_out_ = s == NATS_TIMEOUT;
      fallback(*b);
      if (log_limiter_.allow())
        spdlog::warn("cluster recovery log: publish refused: {}", why(s, code));
    }
    // Else the reader delivers it, here as on every node.
  });
}

void NatsRecoveryLog::save(const sio::SavedSession& s) {
  if (!valid_pid(s.pid)) return;
  enqueue([this, subject = session_subject(s.pid), value = encode_session(s)](jsCtx* js) {
    if (!js) {
      if (log_limiter_.allow())
        spdlog::warn("cluster recovery log: NATS unavailable, a dropped session is not saved");
      return;
    }
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus st = js_Publish(&ack, js, subject.c_str(), value.data(),
                                     static_cast<int>(value.size()), nullptr, &code);
    if (ack) jsPubAck_Destroy(ack);
    timed_out_ = st == NATS_TIMEOUT;
    if (st != NATS_OK && log_limiter_.allow())
      spdlog::warn("cluster recovery log: a dropped session is not saved: {}", why(st, code));
  });
}

void NatsRecoveryLog::restore(std::string pid, std::string offset, std::string nsp,
                              RestoreDone done) {
  enqueue([this, pid = std::move(pid), offset = std::move(offset), nsp = std::move(nsp),
           done = std::move(done)](jsCtx* js) {
    if (!js) return done(std::nullopt);
    take_session(js, pid, offset, nsp, done);
  });
}

void NatsRecoveryLog::take_session(jsCtx* js, const std::string& pid, const std::string& offset,
                                   const std::string& nsp, const RestoreDone& done) {
  if (!valid_pid(pid)) return done(std::nullopt);
  // Take the session once: of two nodes deleting its message, one succeeds.
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string sessions = sessions_name();
  if (js_GetLastMsg(&raw, js, sessions.c_str(), session_subject(pid).c_str(), nullptr, &code) !=
      NATS_OK)
    return done(std::nullopt);
  Msg got(raw);
  if (js_DeleteMsg(js, sessions.c_str(), natsMsg_GetSequence(got.get()), nullptr, &code) != NATS_OK)
    return done(std::nullopt);
  auto session = decode_session(std::string_view(
      natsMsg_GetData(got.get()), static_cast<size_t>(natsMsg_GetDataLength(got.get()))));
  const auto from = protocol::parse_stream_id(offset);
  if (!session || session->nsp != nsp || !from || from->ms != 0 || from->seq == 0)
    return done(std::nullopt);
  session->pid = pid;

  // The log from the offset: it must still hold the offset itself.
  jsStreamInfo* raw_info = nullptr;
  const std::string log = stream_name();
  if (js_GetStreamInfo(&raw_info, js, log.c_str(), nullptr, &code) != NATS_OK)
    return done(std::nullopt);
  Info info(raw_info);
  const uint64_t first = info->State.FirstSeq, last = info->State.LastSeq;
  if (from->seq < first || from->seq > last) return done(std::nullopt);
  sio::SharedRestored out;
  out.upto = *from;
  if (from->seq < last) {
    Sub sub;
    if (subscribe_from(sub, js, log, log_subject(), from->seq, &code) != NATS_OK)
      return done(std::nullopt);
    struct Unsubscribe {
      Sub& sub;
      ~Unsubscribe() { unsubscribe(sub); }
    } unsubscribe_on_return{sub};
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.restore_timeout_ms);
    bool first_seen = false;
    while (out.upto.seq < last) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      natsMsg* m = nullptr;
      if (left <= 0 || natsSubscription_NextMsg(&m, sub.get(), left) != NATS_OK)
        return done(std::nullopt);
      Msg msg(m);
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg.get()) != NATS_OK) return done(std::nullopt);
      const uint64_t seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
      if (!first_seen) {
        first_seen = true;
        if (seq != from->seq) return done(std::nullopt);  // trimmed meanwhile
        continue;
      }
      const protocol::StreamId id{0, seq};
      out.upto = id;
      auto b = broadcast_from_entry(
          id, std::string_view(natsMsg_GetData(msg.get()),
                               static_cast<size_t>(natsMsg_GetDataLength(msg.get()))));
      if (b && b->nsp == nsp && sio::broadcast_reaches(*b, session->sid, session->rooms))
        out.missed.push_back(std::move(b));
    }
  }
  out.session = std::move(*session);
  done(std::move(out));
}

void NatsRecoveryLog::reader_loop() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stopping_ || streams_ok_ || unavailable_; });
    if (stopping_ || !streams_ok_) return;
  }
  const std::string log = stream_name(), subject = log_subject();
  Backoff backoff;
  bool started = false;
  int64_t created = 0;  // the stream's creation time, when this reader started on it
  Sub sub;
  uint64_t reconnects = 0;
  while (!stopping()) {
    if (!sub) {
      if (!connected()) {
        pause(backoff.next());
        continue;
      }
      reconnects = reconnects_of(nc_);
      jsStreamInfo* raw = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      if (js_GetStreamInfo(&raw, js_, log.c_str(), nullptr, &code) != NATS_OK) {
        if (log_limiter_.allow())
          spdlog::warn("cluster recovery log: stream \"{}\": {}", log, why(NATS_ERR, code));
        // A server that lost its store (restarted without one): made again.
        if (code == JSStreamNotFoundErr && ensure_streams() == Streams::ok)
          spdlog::warn("cluster recovery log: streams \"{}\" and \"{}\" created again", log,
                       sessions_name());
        else
          pause(backoff.next());
        continue;
      }
      Info info(raw);
      if (!started) {
        // Where the stream is now: what this node appends from here on comes after.
        last_read_ = info->State.LastSeq;
        created = info->Created;
        started = true;
        spdlog::info("cluster recovery log: JetStream stream \"{}\" from 0-{}", log, last_read_);
      } else if (info->Created != created || info->State.LastSeq < last_read_) {
        // The server lost the stream (no persistent store) and it was made
        // again: its sequence starts over. Told by its creation time, not by
        // its length alone: by now it may hold as many entries as the old one.
        spdlog::warn("cluster recovery log: stream \"{}\" starts over at {} (was {})", log,
                     info->State.FirstSeq, last_read_);
        last_read_ = info->State.FirstSeq > 0 ? info->State.FirstSeq - 1 : 0;
        created = info->Created;
      }
      if (subscribe_from(sub, js_, log, subject, last_read_ + 1, &code) != NATS_OK) {
        if (log_limiter_.allow())
          spdlog::warn("cluster recovery log: cannot read stream \"{}\": {}", log,
                       why(NATS_ERR, code));
        pause(backoff.next());
        continue;
      }
      backoff.reset();
      // Entries missed while away may have been trimmed: restart what is held.
      recent_.reset({0, last_read_});
      reader_in_place();
    }
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, sub.get(), kPollMs);
    if (s == NATS_TIMEOUT) {
      // After a reconnect the server may be a new one without our consumer:
      // read again from the last sequence delivered.
      if (connected() && reconnects_of(nc_) != reconnects) unsubscribe(sub);
      continue;
    }
    if (s != NATS_OK) {
      if (log_limiter_.allow())
        spdlog::warn("cluster recovery log: reading stream \"{}\": {}", log, why(s));
      sub.reset();
      pause(backoff.next());
      continue;
    }
    Msg msg(raw);
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg.get()) != NATS_OK) continue;
    const uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    if (seq <= last_read_) continue;                        // read again after a resubscribe
    if (seq > last_read_ + 1) recent_.reset({0, seq - 1});  // trimmed before it was read
    last_read_ = seq;
    deliver({0, seq}, std::string_view(natsMsg_GetData(msg.get()),
                                       static_cast<size_t>(natsMsg_GetDataLength(msg.get()))));
  }
  if (connected()) unsubscribe(sub);
}

}  // namespace sb::inter_service
