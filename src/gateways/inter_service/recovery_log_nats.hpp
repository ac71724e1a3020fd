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
// The job queue, the two threads, delivery and fallback: RecoveryLogBase
// (recovery_log_base.hpp).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/inter_service/recovery_log_base.hpp"

struct __natsConnection;
struct __jsCtx;

namespace sb::inter_service {

struct NatsRecoveryLogOptions : RecoveryLogOptions {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  // The server has no JetStream: called once, from the log's thread.
  std::function<void()> on_unavailable;
};

// A JetStream stream or bucket name for `prefix` (pure).
std::string jetstream_name(std::string_view prefix);

class NatsRecoveryLog final : public RecoveryLogBase<__jsCtx> {
 public:
  NatsRecoveryLog(NatsRecoveryLogOptions options, sio::SioServer& sio, ClusterPublisher& fallback);
  ~NatsRecoveryLog() override;

  void start();
  void stop() override;  // then closes the connection
  // The server has no JetStream (on_unavailable was called).
  bool unavailable() const { return unavailable_.load(); }

  void append(const sio::ClusterEmit& e) override;
  void save(const sio::SavedSession& s) override;
  void restore(std::string pid, std::string offset, std::string nsp, RestoreDone done) override;

  std::string stream_name() const { return jetstream_name(o_.prefix) + "-recovery"; }
  std::string sessions_name() const { return jetstream_name(o_.prefix) + "-recovery-sessions"; }
  std::string log_subject() const { return o_.prefix + ".recovery.log"; }
  std::string session_subject(const std::string& pid) const {
    return o_.prefix + ".recovery.session." + pid;
  }

 private:
  enum class Streams { pending, ok, no_jetstream };
  void writer_loop() override;
  void reader_loop() override;
  // Connected and the streams exist.
  bool writer_up() const override { return streams_ok_ && connected(); }
  bool connected() const;
  Streams ensure_streams();
  void step_aside();  // no JetStream: say so, let the gateway recover per node
  void take_session(__jsCtx* js, const std::string& pid, const std::string& offset,
                    const std::string& nsp, const RestoreDone& done);

  std::vector<std::string> servers_;
  std::function<void()> on_unavailable_;
  __natsConnection* nc_ = nullptr;  // set before the threads start, closed after they end
  __jsCtx* js_ = nullptr;

  bool streams_ok_ = false;  // mu_: both streams exist
  std::atomic<bool> unavailable_{false};

  // Writer thread only: a publish timed out; jobs fail at once until stalled_until_.
  bool timed_out_ = false;
  std::chrono::steady_clock::time_point stalled_until_{};

  uint64_t last_read_ = 0;  // reader thread only: the last sequence delivered
};

}  // namespace sb::inter_service
