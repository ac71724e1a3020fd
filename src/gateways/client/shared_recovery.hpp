#pragma once
// Connection state recovery shared by the nodes of a cluster (set when both
// [cluster] and [socketio.recovery] are on and the engine supports it): the
// broadcast history and the saved sessions live in the engine, so a client
// that drops on one node recovers on another. The inter-service gateway
// implements it (Redis Streams: recovery_log_redis.hpp; NATS JetStream:
// recovery_log_nats.hpp); kept free of broker types so the client gateway
// does not depend on them.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateways/client/cluster_link.hpp"
#include "gateways/client/recovery_store.hpp"
#include "protocol/stream_id.hpp"

namespace sb::sio {

struct Broadcast;

struct SharedRestored {
  SavedSession session;
  std::vector<std::shared_ptr<const Broadcast>> missed;  // in log order, filtered
  protocol::StreamId upto;  // the socket skips live deliveries up to this id
};

class SharedRecovery {
 public:
  virtual ~SharedRecovery() = default;
  // A recoverable broadcast issued on this node (thread-safe). Every node, this
  // one included, delivers it from the log with its entry id as the offset. If
  // the log refuses it, the implementation delivers it here without an offset
  // and publishes it on the cluster's pub/sub channel instead.
  virtual void append(const ClusterEmit& e) = 0;
  // A dropped socket's state, kept max_disconnection_ms (thread-safe).
  virtual void save(const SavedSession& s) = 0;
  using RestoreDone = std::function<void(std::optional<SharedRestored>)>;
  // Takes session `pid` (once) and the broadcasts after `offset` for it. `done`
  // runs exactly once, on any thread: nullopt when unknown, expired, another
  // namespace, the offset is no longer in the log, or the engine is down.
  virtual void restore(std::string pid, std::string offset, std::string nsp, RestoreDone done) = 0;
  // The broadcasts this node read from the log in (after, upto], for a restore
  // that finished while later entries were already delivered; nullopt when this
  // node no longer holds all of them.
  virtual std::optional<std::vector<std::shared_ptr<const Broadcast>>> recent(
      protocol::StreamId after, protocol::StreamId upto) const = 0;
  // How long a restore may take before the client connects afresh.
  virtual uint32_t restore_timeout_ms() const = 0;
};

}  // namespace sb::sio
