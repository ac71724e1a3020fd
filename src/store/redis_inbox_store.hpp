#pragma once
// InboxStore on a Redis server, shared by the nodes of a cluster. Synchronous
// hiredis on one connection, used by one thread (InboxThread); a call that
// finds the connection broken reconnects first, and a call that fails throws
// (the caller answers `storage_error`) and drops the connection.
//
// Every operation is one Lua script (EVALSHA), so each is atomic on its own:
// two nodes never take or claim the same row twice. begin/commit/rollback are
// no-ops: a batch of InboxThread is not one transaction here (a failed call
// throws for its own job only; what earlier calls did stays).
//
// Keys, under `key_prefix` (P):
//   P next_id           INCR counter: ids are monotonic across every node
//   P n:<id>            hash: user event data created_at read delivered deliver_missed by
//                       (by: the nodes that delivered it, ",a,b,"; delivered = by not empty)
//   P u:<user>          sorted set of the user's ids (score = id)
//   P r:<user>          the unread ones
//   P m:<user>          the ones to push on connect (unread, undelivered, deliver_missed)
//   P age               every id by created_at (retention by age)
//   P users             the users with notifications (retention by count walks it
//                       once per limit: inserts keep each user within it after)
// A single Redis server (or primary): the scripts compute their keys, which
// Redis Cluster (sharding) does not allow.
#include <cstdint>
#include <memory>
#include <string>

#include "store/inbox_store.hpp"

struct redisContext;
struct redisReply;

namespace sb::store {

struct RedisInboxOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;  // AUTH when the password is set
  int db = 0;                  // SELECT
  std::string key_prefix = "switchboard:inbox:";
  std::string node;  // this node's id, recorded by claims and takes
  uint32_t connect_timeout_ms = 2000;
  uint32_t command_timeout_ms = 5000;
  // After a failed connect, calls fail at once for this long (no connect storm).
  uint32_t retry_ms = 200;
};

class RedisInboxStore final : public InboxStore {
 public:
  // Does not connect: the first call does (a Redis that is down at start is
  // reported by the calls, which work once it is up).
  explicit RedisInboxStore(RedisInboxOptions options);
  ~RedisInboxStore() override;
  RedisInboxStore(const RedisInboxStore&) = delete;
  RedisInboxStore& operator=(const RedisInboxStore&) = delete;

  void begin() override {}
  void commit() override {}
  void rollback() override {}

  uint64_t insert(const Notification& n) override;
  Page page(const PageQuery& q) override;
  uint64_t unread_count(const std::string& user) override;
  uint64_t mark_read(const std::string& user, const std::vector<uint64_t>& ids) override;
  uint64_t mark_all_read(const std::string& user) override;
  std::vector<uint64_t> existing(const std::string& user,
                                 const std::vector<uint64_t>& ids) override;
  std::vector<Notification> take_undelivered(const std::string& user, uint32_t limit) override;
  Claim claim(const std::string& user, uint64_t id) override;
  bool unclaim(const std::string& user, uint64_t id) override;
  uint64_t delete_user(const std::string& user) override;
  uint64_t prune_user(const std::string& user, const Retention& r, int64_t now_ms) override;
  uint64_t prune(const Retention& r, int64_t now_ms) override;

  // Connects now (and loads the scripts); throws when it cannot.
  void connect();

 private:
  struct Reply;
  enum Script : int;
  Reply eval(Script s, const std::vector<std::string>& args);
  Reply command(const std::vector<std::string>& args);
  void load_scripts();
  void drop_connection();

  RedisInboxOptions o_;
  redisContext* ctx_ = nullptr;
  int64_t retry_after_ms_ = 0;        // steady ms: no connect before this
  uint32_t walked_max_per_user_ = 0;  // prune() walked every user with this limit
  std::vector<std::string> shas_;
};

}  // namespace sb::store
