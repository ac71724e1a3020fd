#pragma once
// The notification inbox's storage interface. A store is used by one thread
// at a time (InboxThread owns it); implementations need no locking.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sb::store {

struct Notification {
  uint64_t id = 0;  // monotonic, never reused (clients see it as a string)
  std::string user;
  std::string event;
  std::string data;        // JSON text
  int64_t created_at = 0;  // ms since the epoch
  bool read = false;
  bool delivered = false;       // pushed to a socket (live or on connect)
  bool deliver_missed = false;  // push on the next connect while undelivered and unread
};

struct PageQuery {
  std::string user;
  uint32_t limit = 50;
  std::optional<uint64_t> before;  // only ids below this one (the cursor)
  bool unread_only = false;
};

struct Page {
  std::vector<Notification> items;  // newest first
  uint64_t total = 0;               // the user's notifications
  uint64_t unread = 0;              // of which unread
  bool more = false;                // older items match past the last one
};

// What claim() did (stores shared by several nodes).
struct Claim {
  enum class State {
    missing,    // no such notification of the user: push nothing
    claimed,    // no node had delivered it: now this one has
    delivered,  // other nodes had: this one is added to them
    mine,       // this node had already (its connect-time take): push nothing
  } state = State::missing;
};

struct Retention {
  int64_t max_age_ms = 0;     // 0 = no age limit
  uint32_t max_per_user = 0;  // 0 = no count limit
};

class InboxStore {
 public:
  virtual ~InboxStore() = default;

  // Transactions around a batch of calls (InboxThread batches its jobs).
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // Stores `n` (its id is ignored) and returns the new id.
  virtual uint64_t insert(const Notification& n) = 0;
  virtual Page page(const PageQuery& q) = 0;
  virtual uint64_t unread_count(const std::string& user) = 0;
  // Marks the user's notifications among `ids` read; returns how many changed.
  // Ids of other users or unknown ids change nothing.
  virtual uint64_t mark_read(const std::string& user, const std::vector<uint64_t>& ids) = 0;
  virtual uint64_t mark_all_read(const std::string& user) = 0;
  // Which of `ids` exist for `user` (to report unknown ones).
  virtual std::vector<uint64_t> existing(const std::string& user,
                                         const std::vector<uint64_t>& ids) = 0;
  // The oldest (up to `limit`) unread, undelivered notifications that asked to be
  // pushed on connect, marked delivered in the same call.
  virtual std::vector<Notification> take_undelivered(const std::string& user, uint32_t limit) = 0;
  // Shared stores only (several nodes). A row is delivered while some node
  // holds it: insert (delivered), take_undelivered and claim record this
  // node; unclaim removes it again (its push found no socket), and when no
  // node is left the row is pending again (pushed on the next connect).
  // unclaim returns whether it is pending again. The defaults (single-node
  // stores) throw std::logic_error.
  virtual Claim claim(const std::string& user, uint64_t id);
  virtual bool unclaim(const std::string& user, uint64_t id);
  // Deletes every notification of `user`; returns how many.
  virtual uint64_t delete_user(const std::string& user) = 0;
  // Applies the retention to one user (after an insert) or to all.
  virtual uint64_t prune_user(const std::string& user, const Retention& r, int64_t now_ms) = 0;
  virtual uint64_t prune(const Retention& r, int64_t now_ms) = 0;
};

}  // namespace sb::store
