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
// The job queue, the two threads, delivery and fallback: RecoveryLogBase
// (recovery_log_base.hpp).
#include <atomic>
#include <cstdint>
#include <string>

#include "gateways/inter_service/broker_factory.hpp"
#include "gateways/inter_service/recovery_log_base.hpp"

struct redisContext;

namespace sb::inter_service {

struct RedisRecoveryLogOptions : RecoveryLogOptions {
  RedisUrl url;
};

class RedisRecoveryLog final : public RecoveryLogBase<redisContext> {
 public:
  RedisRecoveryLog(RedisRecoveryLogOptions options, sio::SioServer& sio,
                   ClusterPublisher& fallback);
  ~RedisRecoveryLog() override;

  void start();

  void append(const sio::ClusterEmit& e) override;
  void save(const sio::SavedSession& s) override;
  void restore(std::string pid, std::string offset, std::string nsp, RestoreDone done) override;

  std::string stream_key() const { return o_.prefix + "-recovery"; }
  std::string session_key(const std::string& pid) const {
    return o_.prefix + "-recovery-session#" + pid;
  }

 private:
  // Jobs get the writer's connection; one that breaks it leaves c->err set and
  // the writer reconnects.
  void writer_loop() override;
  void reader_loop() override;
  bool writer_up() const override { return !writer_down_; }
  redisContext* connect(uint32_t timeout_ms);
  bool read_batch(redisContext* c);

  RedisUrl url_;
  bool writer_down_ = false;                // mu_: the writer has no connection: refuse at once
  protocol::StreamId last_read_;            // reader thread only
  std::atomic<uint64_t> last_added_ms_{0};  // Redis's clock, from the last XADD
};

}  // namespace sb::inter_service
