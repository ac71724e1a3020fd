#pragma once
// Connection state recovery shared by the nodes of a Redis cluster
// (sio::SharedRecovery over Redis Streams, the way @socket.io/redis-streams-adapter
// keeps its history):
//  - every recoverable broadcast issued on any node is one entry of the stream
//    `<prefix>-recovery` (XADD MAXLEN ~ max_packets; older than
//    max_disconnection_ms trimmed with XTRIM MINID), the adapter's msgpack in
//    field "m"; the entry id is the offset clients get;
//  - every node, the issuing one included, reads the stream (XREAD BLOCK on its
//    own connection) and delivers each entry with its id, so all nodes deliver
//    in the same order;
//  - a dropped socket's state is `SET <prefix>-recovery-session#<pid> ... PX
//    max_disconnection_ms`; a CONNECT with {pid, offset} on any node takes it
//    with GETDEL and replays XRANGE <offset> + (the first entry must be the
//    offset, else the history no longer covers it: connect afresh).
// Two threads with synchronous hiredis (a blocking XREAD needs its own
// connection): a writer (XADD, SET, GETDEL, XRANGE, XTRIM, in order) and a
// reader. Both reconnect with backoff. While Redis is down, broadcasts are
// delivered here without an offset and go to the other nodes over the cluster's
// pub/sub channel (not recoverable), restores answer "not found" at once.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateways/client/shared_recovery.hpp"
#include "gateways/inter_service/broker_factory.hpp"
#include "gateways/inter_service/recovery_recent.hpp"
#include "hub/log_limiter.hpp"

struct redisContext;

namespace sb::sio {
class SioServer;
}
namespace sb::emitter {
struct Broadcast;
}

namespace sb::inter_service {

class ClusterPublisher;

struct RecoveryLogOptions {
  RedisUrl url;
  std::string prefix = "socket.io";
  std::string uid;                     // this node's cluster uid (stored with each entry)
  sio::RecoveryOptions recovery;       // max_packets, max_disconnection_ms
  uint32_t restore_timeout_ms = 5000;  // a CONNECT waits no longer for the log
  uint32_t command_timeout_ms = 2000;
  size_t max_queued = 10000;     // commands waiting for the writer
  size_t recent_entries = 4096;  // entries this node keeps for restores finishing late
};

class RedisRecoveryLog final : public sio::SharedRecovery {
 public:
  RedisRecoveryLog(RecoveryLogOptions options, sio::SioServer& sio, ClusterPublisher& fallback);
  ~RedisRecoveryLog() override;

  void start();
  void stop();  // joins the threads; what is queued fails (restores answer nullopt)
  // The reader found the stream's tip and the writer is connected: appends are recorded.
  bool ready() const;

  void append(const sio::ClusterEmit& e) override;
  void save(const sio::SavedSession& s) override;
  void restore(std::string pid, std::string offset, std::string nsp, RestoreDone done) override;
  std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> recent(
      protocol::StreamId after, protocol::StreamId upto) const override;
  uint32_t restore_timeout_ms() const override { return o_.restore_timeout_ms; }

  std::string stream_key() const { return o_.prefix + "-recovery"; }
  std::string session_key(const std::string& pid) const {
    return o_.prefix + "-recovery-session#" + pid;
  }

 private:
  // A writer command; called with null when Redis is unavailable (it must
  // then fail its caller). Returns false when the connection broke.
  using Job = std::function<bool(redisContext*)>;
  void enqueue(Job job);
  void writer_loop();
  void reader_loop();
  redisContext* connect(uint32_t timeout_ms);
  void fallback(const emitter::Broadcast& b);
  bool read_batch(redisContext* c);

  RecoveryLogOptions o_;
  sio::SioServer& sio_;
  ClusterPublisher& fallback_;
  hub::LogLimiter log_limiter_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  bool reader_ready_ = false;  // the reader knows where the stream was at start
  bool writer_down_ = false;   // the writer has no connection: refuse at once
  std::thread writer_, reader_;

  RecentEntries recent_;                    // what the reader delivered
  protocol::StreamId last_read_;            // reader thread only
  std::atomic<uint64_t> last_added_ms_{0};  // Redis's clock, from the last XADD
};

}  // namespace sb::inter_service
