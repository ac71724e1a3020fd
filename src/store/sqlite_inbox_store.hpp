#pragma once
// InboxStore on one SQLite file: WAL journal (readers never block the writer,
// a crash loses nothing committed), synchronous=NORMAL (a process restart
// loses nothing; only an OS crash may lose the last commits), prepared
// statements, partial indexes for the unread and to-push rows. One connection,
// used by one thread (see InboxThread).
#include <memory>
#include <string>

#include "store/inbox_store.hpp"

struct sqlite3;

namespace sb::store {

class SqliteInboxStore final : public InboxStore {
 public:
  // Opens (creating the file and its directory if needed) and migrates the
  // schema. Throws std::runtime_error naming the path on failure.
  explicit SqliteInboxStore(const std::string& path);
  ~SqliteInboxStore() override;
  SqliteInboxStore(const SqliteInboxStore&) = delete;
  SqliteInboxStore& operator=(const SqliteInboxStore&) = delete;

  void begin() override;
  void commit() override;
  void rollback() override;

  uint64_t insert(const Notification& n) override;
  Page page(const PageQuery& q) override;
  uint64_t unread_count(const std::string& user) override;
  uint64_t mark_read(const std::string& user, const std::vector<uint64_t>& ids) override;
  uint64_t mark_all_read(const std::string& user) override;
  std::vector<uint64_t> existing(const std::string& user,
                                 const std::vector<uint64_t>& ids) override;
  std::vector<Notification> take_undelivered(const std::string& user, uint32_t limit) override;
  uint64_t delete_user(const std::string& user) override;
  uint64_t prune_user(const std::string& user, const Retention& r, int64_t now_ms) override;
  uint64_t prune(const Retention& r, int64_t now_ms) override;

 private:
  struct Statements;
  void exec(const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> st_;
};

}  // namespace sb::store
