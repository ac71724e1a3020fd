#pragma once
// The notification inbox on the Socket.IO side. Notifications for a user are
// stored (InboxThread + an InboxStore) before they are pushed, listed and
// marked read by the client events `get_notifications` / `mark_read`, and
// pushed once on the next connect when no socket of the user was there to get
// them live ("deliver_missed").
//
// Exactly-once push: the service counts each user's authenticated sockets on
// the namespace (connection/disconnection hooks; a socket is counted after it
// joined "user:<id>"). On the inbox thread an insert reads that count: > 0,
// the row is stored delivered and broadcast after the commit; 0, it is stored
// undelivered, and the connect that makes the count > 0 queues a job behind
// it that takes (and marks) the undelivered rows and pushes them. Both run on
// the one inbox thread, so a row is pushed by one path or the other, never
// both. A socket that vanishes in the instant between the count and the push
// misses the push; the row stays unread in the inbox (get_notifications).
//
// Across nodes sharing one store (set_cluster, RedisInboxStore): a node cannot
// count the user's sockets elsewhere, so each node pushes to its own sockets
// only and the store's atomic claims decide who pushes what.
// The storing node stores the row delivered (by itself) when the user has a
// socket here, else undelivered, pushes it here, then publishes it to the
// other nodes. A node that gets it and has sockets of the user claims it
// (adds itself to the nodes that delivered it) and pushes, unless it was
// among them already (its own connect-time take got it first). A connect
// takes the undelivered rows (a claim too, recording this node). Claims, takes
// and the online checks of one node run on its one inbox thread. A node's
// push counts the sockets it reached (each worker its own); when it reached
// none (they went between the check and the push) the node gives the rows
// back (unclaim): a row no node holds is pending again, published anew for
// the other nodes' sockets (pushed as `missed`, after newer ones) and pushed
// on the next connect. So:
//  - every socket connected when the row reaches its node gets the live push
//    once (sockets of one user on several nodes each get it);
//  - a user offline everywhere gets it once, on the next connect, on any node
//    (unless a node claimed it live meanwhile: then it went to a socket);
//  - a socket that connects while the row is in flight gets it either live or
//    as missed, never both.
// "Exactly once" is per row and user as in the single-node case: a row
// reaches every socket online at the time once, and reaches the user once
// if none was. A lost broker message leaves the row undelivered: it is pushed
// on the user's next connect. Left: a push written to a connection that
// closes before the client read it is lost to pushes (it stays unread in
// the inbox), as on one node.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateways/client/sio_types.hpp"
#include "store/inbox_store.hpp"

namespace sb::net {
class Worker;
}
namespace sb::store {
class InboxThread;
}

namespace sb::sio {

class SioServer;
class Namespace;

struct InboxOptions {
  bool store_by_default = false;    // notify_user stores unless told otherwise
  bool deliver_missed = true;       // stored notifications are pushed on the next connect
  uint32_t max_missed_push = 1000;  // pushed per connect (the rest: next connect, or a fetch)
  uint32_t max_page = 200;          // get_notifications `limit` bound
  uint32_t max_ids = 1000;          // mark_read `ids` bound
  store::Retention retention;       // applied on insert (per user) and periodically
  uint32_t prune_interval_ms = 60000;
};

// Delivery across the nodes that share one store (see the comment above).
struct InboxCluster {
  std::string node;                                  // this node's id, as the store records it
  std::function<void(std::string payload)> publish;  // to every node (this one skips its own)
};

class InboxService : public std::enable_shared_from_this<InboxService> {
 public:
  InboxService(SioServer& sio, std::vector<net::Worker*> workers,
               std::unique_ptr<store::InboxStore> store, InboxOptions options);
  ~InboxService();
  InboxService(const InboxService&) = delete;
  InboxService& operator=(const InboxService&) = delete;

  // Binds `get_notifications`, `mark_read` and the presence hooks on `nsp` (the
  // notify_user namespace, "/"). Call before the server starts and before other
  // connection hooks; bindings made later for the same events replace these.
  void attach(Namespace& nsp);

  // Stores and (after the commit) pushes `event` [data, {id, created_at}] to
  // the user's sockets. Thread-safe; `done` runs on the inbox thread.
  void notify(const std::string& user, std::string_view event, boost::json::value data,
              bool deliver_missed, std::function<void(NotifyResult)> done = {});

  struct Answer {
    bool ok = false;
    std::string code;     // error code when !ok ("storage_error", "stopping")
    std::string message;  // error message when !ok
    boost::json::object body;
  };
  using AnswerFn = std::function<void(Answer)>;
  // The page as get_notifications answers it: {items, total, unread, next}.
  void list(store::PageQuery q, AnswerFn done);
  // Deletes every notification of `user`: {deleted}; pushes unread_count 0.
  void delete_user(const std::string& user, AnswerFn done = {});

  // Shares the store with other nodes. Before the server starts.
  void set_cluster(InboxCluster c);
  // A notification another node stored and published (JSON: node, user, id,
  // event, data, created_at, missed?). Thread-safe; bad payloads are logged
  // and dropped.
  void on_remote(std::string_view payload);
  // The payload on_remote() reads. `missed`: published again after a push
  // that reached no socket (pushed with `missed: true`).
  static std::string remote_payload(const std::string& node, const store::Notification& n,
                                    const boost::json::value& data, bool missed = false);

  // Runs what is queued, then stops the inbox thread (no new work after).
  void stop();

  const InboxOptions& options() const { return options_; }
  // Authenticated sockets of `user` on the attached namespace (all workers).
  uint32_t online(const std::string& user) const;

  // Validation shared with the HTTP API: a notification id from a string of
  // digits or a non-negative integer.
  static std::optional<uint64_t> parse_id(const boost::json::value& v);

 private:
  void on_connect(Socket& s);
  void on_disconnect(Socket& s);
  void get_notifications(Socket& s, Event& e);
  void mark_read(Socket& s, Event& e);
  struct Pushed {
    store::Notification n;
    boost::json::value data;
    bool missed = false;
  };
  void push(const store::Notification& n, const boost::json::value& data, bool missed);
  // Cluster mode: to this node's sockets of `user`, counted; see the .cpp.
  void push_here(const std::string& user, std::vector<Pushed> rows, bool retry);
  void give_back(const std::string& user, std::shared_ptr<const std::vector<Pushed>> rows,
                 bool retry);
  void push_unread(const std::string& user, uint64_t unread, bool local = false);

  SioServer& sio_;
  std::vector<net::Worker*> workers_;
  InboxOptions options_;
  std::string nsp_ = "/";
  std::unique_ptr<store::InboxThread> thread_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> online_;  // user -> sockets
  std::optional<InboxCluster> cluster_;               // set: pushes are local, claims decide
};

// The JSON a client sees for one stored notification:
// {id: "<id>", event, data, created_at, read}.
boost::json::object notification_json(const store::Notification& n);
// {"error": {"code", "message"}}: what a failed inbox call answers.
boost::json::object inbox_error(std::string_view code, std::string_view message);

}  // namespace sb::sio
