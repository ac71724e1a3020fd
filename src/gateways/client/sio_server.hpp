#pragma once
// The Socket.IO v5 server: namespaces, per-worker room shards and fan-out.
// A broadcast is encoded once into shared wires and posted to every worker,
// which writes them to its own members: no per-recipient copy, no lock.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateways/client/cluster_link.hpp"
#include "gateways/client/namespace.hpp"
#include "gateways/client/recovery_store.hpp"
#include "gateways/client/shared_recovery.hpp"
#include "gateways/client/sio_types.hpp"
#include "net/wire.hpp"

namespace sb {
class JwtVerifier;
class KeyRing;
}  // namespace sb
namespace sb::net {
class Worker;
}
namespace sb::eio {
class EioApp;
class EioSession;
}  // namespace sb::eio

namespace sb::sio {

class SioServer;
class InboxService;

struct SioOptions {
  uint32_t connect_timeout_ms = 45000;
  uint32_t ack_timeout_ms = 10000;
  uint32_t max_attachments = 10;
  bool allow_anonymous = false;
  RecoveryOptions recovery;
  // [limits] per socket (0 = no limit). Refusals are documented in the README.
  uint32_t events_per_second = 0;  // token bucket refill
  uint32_t event_burst = 0;        // token bucket size
  uint32_t max_rooms = 0;          // rooms a socket is in (its own user room included)
  uint32_t max_name_bytes = 0;     // event and room names
  uint32_t max_pending_acks = 0;   // server-to-client emits awaiting their ack
};

// Targets of a broadcast, built fluently: server.of("/").to("r").except("x").emit(...).
class BroadcastOperator {
 public:
  BroadcastOperator(SioServer& server, std::string nsp) : server_(&server), nsp_(std::move(nsp)) {}
  BroadcastOperator& to(std::string room) {
    rooms_.push_back(std::move(room));
    return *this;
  }
  BroadcastOperator& except(std::string room) {
    except_.push_back(std::move(room));
    return *this;
  }
  BroadcastOperator& volatile_() {
    volatile_flag_ = true;
    return *this;
  }
  // This node only: not published to the cluster (what came from it is local).
  BroadcastOperator& local() {
    local_flag_ = true;
    return *this;
  }
  // Thread-safe: may be called from any thread. Delivered here and, unless
  // local(), published once to the cluster.
  void emit(std::string_view event, boost::json::array args = {},
            std::vector<Bytes> attachments = {}) const;
  // Socket.IO's socketsJoin / socketsLeave / disconnectSockets on the matching
  // sockets of every node (of this one only when local()). Thread-safe.
  void sockets_join(std::vector<std::string> rooms) const;
  void sockets_leave(std::vector<std::string> rooms) const;
  void disconnect_sockets(bool close = false) const;

 private:
  SioServer* server_;
  std::string nsp_;
  std::vector<std::string> rooms_;
  std::vector<std::string> except_;
  bool volatile_flag_ = false;
  bool local_flag_ = false;
};

// One encoded broadcast, shared by every worker that delivers it.
struct Broadcast {
  std::string nsp;
  std::vector<std::string> rooms;   // empty = the whole namespace
  std::vector<std::string> except;  // rooms (or socket ids) to skip
  bool is_volatile = false;
  std::vector<net::WirePtr> wires;  // the packet, then its attachments
  uint64_t seq = 0;                 // recovery offset number; 0 when not recorded
  protocol::StreamId stream_id;     // its entry in the shared recovery log; empty when not
};

// Encodes an EVENT (or BINARY_EVENT) into wires.
std::vector<net::WirePtr> encode_event(std::string_view nsp, std::string_view event,
                                       const boost::json::array& args,
                                       const std::vector<Bytes>& attachments,
                                       std::optional<uint64_t> ack_id = std::nullopt);
// Encodes an ACK (or BINARY_ACK).
std::vector<net::WirePtr> encode_ack(std::string_view nsp, uint64_t id,
                                     const boost::json::array& args,
                                     const std::vector<Bytes>& attachments);

// Cheap per-worker traffic counters for metrics (relaxed atomics: written by
// the owning worker, read by the metrics collector from any thread).
struct alignas(64) SioWorkerCounters {
  std::atomic<uint64_t> events_in{0};    // client events dispatched
  std::atomic<uint64_t> packets_out{0};  // packets queued to clients
};

// What one worker knows of one namespace: its sockets and rooms.
struct NamespaceShard {
  std::unordered_map<std::string_view, Socket*> sockets;  // by socket id (a view of Socket::id())
  std::unordered_map<std::string, std::unordered_set<Socket*>> rooms;
  uint64_t mark_seq = 0;  // dedupe stamp for the current delivery
};

class SioServer {
 public:
  SioServer(std::vector<net::Worker*> workers, SioOptions options,
            std::shared_ptr<const JwtVerifier> verifier);
  ~SioServer();

  // Declares a namespace (before start). Returns the existing one if known.
  Namespace& of(const std::string& name);
  const Namespace* find_namespace(std::string_view name) const;
  // The declared namespaces' names, sorted.
  std::vector<std::string> namespace_names() const;
  BroadcastOperator in(const std::string& nsp) { return BroadcastOperator(*this, nsp); }

  // Emits `event` to every socket of user `user_id` (room "user:<id>") on "/".
  // With the inbox on and `options.store` (or inbox.store_by_default), the
  // notification is stored first and pushed as [data, {id, created_at}] after the
  // commit. Thread-safe. Throws std::logic_error if `store` is asked without an inbox.
  void notify_user(const std::string& user_id, std::string_view event, boost::json::value data,
                   NotifyOptions options = {});
  // The notification inbox (set by GatewayModule before start); null when off.
  void set_inbox(InboxService* inbox) { inbox_ = inbox; }
  InboxService* inbox() const { return inbox_; }

  // Posts an encoded broadcast to every worker. Thread-safe.
  void broadcast(std::shared_ptr<const Broadcast> b);

  // Runs `fn` on each worker for that worker's sockets of `nsp` that are in any
  // of `rooms` (all of the namespace when empty) and in none of `except`
  // (Socket.IO's socketsJoin / socketsLeave / disconnectSockets). Thread-safe.
  using SocketFn = std::function<void(Socket&)>;
  void for_each_socket(std::string nsp, std::vector<std::string> rooms,
                       std::vector<std::string> except, SocketFn fn);
  // Applies a sockets operation here and, unless `local`, on every other node.
  void sockets_op(SocketsOp op, bool local = false);
  // The cluster (set by the inter-service gateway before start, cleared before
  // it goes); null: a single node.
  void set_cluster(ClusterLink* link) { cluster_.store(link, std::memory_order_release); }
  ClusterLink* cluster() const { return cluster_.load(std::memory_order_acquire); }

  // Connection state recovery shared through the cluster's engine (set by the
  // inter-service gateway before start, cleared before it goes); null: per node.
  void set_shared_recovery(SharedRecovery* r) {
    shared_recovery_.store(r, std::memory_order_release);
  }
  SharedRecovery* shared_recovery() const {
    return shared_recovery_.load(std::memory_order_acquire);
  }
  // The last shared-log entry worker `w` delivered (read on that worker).
  protocol::StreamId last_stream_id(unsigned worker) const { return last_stream_[worker]; }

  // Runs `fn` on worker `w`'s loop (answers to a socket from another thread).
  void post(unsigned worker, std::function<void()> fn);

  // The Engine.IO application for a new session (Socket.IO client).
  std::unique_ptr<eio::EioApp> make_client(eio::EioSession& session);

  const SioOptions& options() const { return options_; }
  // The verifier in force (SIGHUP may replace it: see set_key_ring); null: no JWT key.
  std::shared_ptr<const JwtVerifier> verifier() const;
  void set_key_ring(std::shared_ptr<const KeyRing> ring) { key_ring_ = std::move(ring); }
  // Connection state recovery; null when off.
  RecoveryStore* recovery() { return recovery_.get(); }

  // Per-worker shards (only the owning worker touches them).
  NamespaceShard& shard(unsigned worker, const std::string& nsp);
  void join(Socket& s, const std::string& room);
  void leave(Socket& s, const std::string& room);
  void add_socket(Socket& s);
  void remove_socket(Socket& s);

  size_t socket_count(unsigned worker) const;
  // This worker's shards by namespace (read on that worker: metrics).
  const std::unordered_map<std::string, NamespaceShard>& shards(unsigned worker) const {
    return shards_[worker];
  }
  SioWorkerCounters& counters(unsigned worker) { return counters_[worker]; }
  size_t namespace_count() const { return namespaces_.size(); }

 private:
  void deliver_local(unsigned worker, const Broadcast& b);

  std::vector<net::Worker*> workers_;
  SioOptions options_;
  std::shared_ptr<const JwtVerifier> verifier_;
  std::shared_ptr<const KeyRing> key_ring_;
  std::unique_ptr<RecoveryStore> recovery_;
  std::unordered_map<std::string, std::unique_ptr<Namespace>> namespaces_;
  std::vector<std::unordered_map<std::string, NamespaceShard>> shards_;
  std::unique_ptr<SioWorkerCounters[]> counters_;
  InboxService* inbox_ = nullptr;
  std::atomic<ClusterLink*> cluster_{nullptr};
  std::atomic<SharedRecovery*> shared_recovery_{nullptr};
  std::vector<protocol::StreamId> last_stream_;  // per worker
};

}  // namespace sb::sio
