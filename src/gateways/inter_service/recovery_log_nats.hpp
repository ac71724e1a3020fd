#pragma once
// Connection state recovery shared by the nodes of a NATS cluster
// (sio::SharedRecovery over JetStream; the Redis twin is recovery_log_redis.hpp):
//  - every recoverable broadcast issued on any node is one message of the
//    stream `<P>-recovery` (subject `<prefix>.recovery.log`, max_msgs =
//    max_packets, max_age = max_disconnection_ms), the adapter's msgpack; the
//    offset clients get is "0-<stream sequence>" (protocol::StreamId);
//  - every node, the issuing one included, reads the stream with an ordered
//    consumer from the sequence it found at start and delivers each message
//    with its offset, so all nodes deliver in the same order;
//  - a dropped socket's state is the last message of subject
//    `<prefix>.recovery.session.<pid>` in the stream `<P>-recovery-sessions`
//    (one message per subject, max_age = max_disconnection_ms); a restore takes
//    it with a delete of that sequence (only one node's delete succeeds) and
//    replays the log from the offset (which must still be its first message).
// <P> is the prefix with every byte outside [A-Za-z0-9-] as `_XX` (stream names
// allow no dots): "socket.io" -> "socket_2Eio". The streams are created at
// start by whichever node comes first (the same settings are accepted again;
// other settings are updated), and again by a reader that finds them gone (a
// server that lost its store: the sequence starts over).
// One cnats connection (reconnecting forever), a writer thread (publishes,
// saves, restores, in order) and a reader thread. While NATS is down,
// broadcasts are delivered here without an offset and go to the other nodes on
// the cluster's pub/sub subjects (not recoverable), restores answer at once.
// A server without JetStream: a warning at start and `on_unavailable` (the
// gateway then falls back to per-node recovery).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateways/client/shared_recovery.hpp"
#include "gateways/inter_service/recovery_recent.hpp"
#include "hub/log_limiter.hpp"

struct __natsConnection;
struct __jsCtx;

namespace sb::sio {
class SioServer;
}
namespace sb::emitter {
struct Broadcast;
}

namespace sb::inter_service {

class ClusterPublisher;

struct NatsRecoveryLogOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string prefix = "socket.io";
  std::string uid;                     // this node's cluster uid
  sio::RecoveryOptions recovery;       // max_packets, max_disconnection_ms
  uint32_t restore_timeout_ms = 5000;  // a CONNECT waits no longer for the log
  uint32_t command_timeout_ms = 2000;  // one JetStream request
  size_t max_queued = 10000;           // commands waiting for the writer
  size_t recent_entries = 4096;        // entries this node keeps for restores finishing late
  // The server has no JetStream: called once, from the log's thread.
  std::function<void()> on_unavailable;
};

// A JetStream stream or bucket name for `prefix` (pure).
std::string jetstream_name(std::string_view prefix);

class NatsRecoveryLog final : public sio::SharedRecovery {
 public:
  NatsRecoveryLog(NatsRecoveryLogOptions options, sio::SioServer& sio, ClusterPublisher& fallback);
  ~NatsRecoveryLog() override;

  void start();
  void stop();  // joins the threads; what is queued fails (restores answer nullopt)
  // Connected, the streams exist and the reader is in place: appends are recorded.
  bool ready() const;
  // The server has no JetStream (on_unavailable was called).
  bool unavailable() const { return unavailable_.load(); }

  void append(const sio::ClusterEmit& e) override;
  void save(const sio::SavedSession& s) override;
  void restore(std::string pid, std::string offset, std::string nsp, RestoreDone done) override;
  std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> recent(
      protocol::StreamId after, protocol::StreamId upto) const override;
  uint32_t restore_timeout_ms() const override { return o_.restore_timeout_ms; }

  std::string stream_name() const { return jetstream_name(o_.prefix) + "-recovery"; }
  std::string sessions_name() const { return jetstream_name(o_.prefix) + "-recovery-sessions"; }
  std::string log_subject() const { return o_.prefix + ".recovery.log"; }
  std::string session_subject(const std::string& pid) const {
    return o_.prefix + ".recovery.session." + pid;
  }

 private:
  // A writer command; called with null when NATS is unavailable (it must then
  // fail its caller).
  using Job = std::function<void(__jsCtx*)>;
  enum class Streams { pending, ok, no_jetstream };
  void enqueue(Job job);
  void writer_loop();
  void reader_loop();
  bool connected() const;
  Streams ensure_streams();
  void step_aside();  // no JetStream: say so, let the gateway recover per node
  void fallback(const emitter::Broadcast& b);
  void take_session(__jsCtx* js, const std::string& pid, const std::string& offset,
                    const std::string& nsp, const RestoreDone& done);

  NatsRecoveryLogOptions o_;
  sio::SioServer& sio_;
  ClusterPublisher& fallback_;
  hub::LogLimiter log_limiter_;
  __natsConnection* nc_ = nullptr;  // set before the threads start, closed after they end
  __jsCtx* js_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  bool streams_ok_ = false;    // both streams exist
  bool reader_ready_ = false;  // the reader knows where the stream was at start
  std::atomic<bool> unavailable_{false};
  std::thread writer_, reader_;

  // Writer thread only: a publish timed out; jobs fail at once until stalled_until_.
  bool timed_out_ = false;
  std::chrono::steady_clock::time_point stalled_until_{};

  RecentEntries recent_;    // what the reader delivered
  uint64_t last_read_ = 0;  // reader thread only: the last sequence delivered
};

}  // namespace sb::inter_service
