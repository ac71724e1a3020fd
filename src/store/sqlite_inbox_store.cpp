#include "store/sqlite_inbox_store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>

namespace sb::store {

namespace {

// One prepared statement, reset after every use so it can be reused.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("inbox: cannot prepare statement: ") +
                               sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(s_, o.s_);
    return *this;
  }

  // Binds in order from parameter 1; resets first so a statement left half-read is clean.
  template <class... A>
  Stmt& bind(const A&... a) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    int i = 1;
    (bind_one(i++, a), ...);
    (void)i;  // no parameters: unused
    return *this;
  }
  // Steps once: true while a row is available.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(s_);
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  // Runs to completion; returns the rows changed.
  uint64_t run() {
    while (step()) {
    }
    return static_cast<uint64_t>(sqlite3_changes64(db_));
  }
  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  void done() { sqlite3_reset(s_); }

 private:
  [[noreturn]] void fail() {
    throw std::runtime_error(std::string("inbox: ") + sqlite3_errmsg(db_));
  }
  void check(int rc) {
    if (rc != SQLITE_OK) fail();
  }
  void bind_one(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_one(int i, int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind_one(int i, uint64_t v) { check(sqlite3_bind_int64(s_, i, static_cast<int64_t>(v))); }
  void bind_one(int i, uint32_t v) { check(sqlite3_bind_int64(s_, i, v)); }
  void bind_one(int i, bool v) { check(sqlite3_bind_int(s_, i, v ? 1 : 0)); }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  event TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  is_read INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  deliver_missed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications (user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (user_id, id) WHERE is_read = 0;
CREATE INDEX IF NOT EXISTS notifications_to_push ON notifications (user_id, id)
  WHERE is_read = 0 AND delivered = 0 AND deliver_missed = 1;
CREATE INDEX IF NOT EXISTS notifications_by_age ON notifications (created_at);
PRAGMA user_version = 1;
)sql";

constexpr const char* kColumns =
    "id, user_id, event, data, created_at, is_read, delivered, deliver_missed";

Notification row(const Stmt& s) {
  Notification n;
  n.id = static_cast<uint64_t>(s.i64(0));
  n.user = s.text(1);
  n.event = s.text(2);
  n.data = s.text(3);
  n.created_at = s.i64(4);
  n.read = s.i64(5) != 0;
  n.delivered = s.i64(6) != 0;
  n.deliver_missed = s.i64(7) != 0;
  return n;
}

std::string select(const char* rest) {
  return std::string("SELECT ") + kColumns + " FROM notifications " + rest;
}

}  // namespace

struct SqliteInboxStore::Statements {
  Stmt begin, commit, rollback, insert, page_all, page_unread, count_all, count_unread, mark_one,
      mark_all, exists, undelivered, set_delivered, delete_user, prune_user_age, prune_user_count,
      prune_age, prune_count;
};

SqliteInboxStore::SqliteInboxStore(const std::string& path) : path_(path) {
  auto fail = [&](const std::string& what) {
    std::string msg = "inbox: cannot open \"" + path + "\": " + what;
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error(msg);
  };
  if (path != ":memory:") {
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) fail(ec.message());
  }
  // NOMUTEX: the connection is only ever used by the inbox thread.
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) fail(db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(db_, 5000);  // another process holding the file (a backup): wait a bit
  try {
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec(kSchema);
    st_ = std::make_unique<Statements>();
    auto& s = *st_;
    s.begin = Stmt(db_, "BEGIN IMMEDIATE");
    s.commit = Stmt(db_, "COMMIT");
    s.rollback = Stmt(db_, "ROLLBACK");
    s.insert = Stmt(db_,
                    "INSERT INTO notifications (user_id, event, data, created_at, is_read, "
                    "delivered, deliver_missed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.page_all =
        Stmt(db_, select("WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3").c_str());
    s.page_unread = Stmt(
        db_,
        select("WHERE user_id = ?1 AND is_read = 0 AND id < ?2 ORDER BY id DESC LIMIT ?3").c_str());
    s.count_all = Stmt(db_, "SELECT COUNT(*) FROM notifications WHERE user_id = ?1");
    s.count_unread =
        Stmt(db_, "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND is_read = 0");
    s.mark_one = Stmt(db_,
                      "UPDATE notifications SET is_read = 1 WHERE id = ?1 AND user_id = ?2 AND "
                      "is_read = 0");
    s.mark_all =
        Stmt(db_, "UPDATE notifications SET is_read = 1 WHERE user_id = ?1 AND is_read = 0");
    s.exists = Stmt(db_, "SELECT 1 FROM notifications WHERE id = ?1 AND user_id = ?2");
    s.undelivered = Stmt(db_, select("WHERE user_id = ?1 AND is_read = 0 AND delivered = 0 AND "
                                     "deliver_missed = 1 ORDER BY id LIMIT ?2")
                                  .c_str());
    s.set_delivered = Stmt(db_, "UPDATE notifications SET delivered = 1 WHERE id = ?1");
    s.delete_user = Stmt(db_, "DELETE FROM notifications WHERE user_id = ?1");
    s.prune_user_age =
        Stmt(db_, "DELETE FROM notifications WHERE user_id = ?1 AND created_at < ?2");
    // Everything at or below the (max+1)-th newest id goes.
    s.prune_user_count = Stmt(db_,
                              "DELETE FROM notifications WHERE user_id = ?1 AND id <= (SELECT id "
                              "FROM notifications WHERE user_id = ?1 ORDER BY id DESC LIMIT 1 "
                              "OFFSET ?2)");
    s.prune_age = Stmt(db_, "DELETE FROM notifications WHERE created_at < ?1");
    s.prune_count = Stmt(db_,
                         "DELETE FROM notifications WHERE id IN (SELECT id FROM (SELECT id, "
                         "ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id DESC) AS n FROM "
                         "notifications) WHERE n > ?1)");
  } catch (const std::exception& e) {
    st_.reset();
    fail(e.what());
  }
}

SqliteInboxStore::~SqliteInboxStore() {
  st_.reset();  // statements first: close_v2 would otherwise defer the close
  if (db_) sqlite3_close_v2(db_);
}

void SqliteInboxStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

void SqliteInboxStore::begin() {
  st_->begin.bind().run();
}
void SqliteInboxStore::commit() {
  st_->commit.bind().run();
}
void SqliteInboxStore::rollback() {
  if (sqlite3_get_autocommit(db_)) return;  // SQLite already rolled back (after an I/O error)
  st_->rollback.bind().run();
}

uint64_t SqliteInboxStore::insert(const Notification& n) {
  st_->insert.bind(n.user, n.event, n.data, n.created_at, n.read, n.delivered, n.deliver_missed)
      .run();
  return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
}

Page SqliteInboxStore::page(const PageQuery& q) {
  Page p;
  const int64_t before = q.before && *q.before <= static_cast<uint64_t>(INT64_MAX)
                             ? static_cast<int64_t>(*q.before)
                             : std::numeric_limits<int64_t>::max();
  auto& s = q.unread_only ? st_->page_unread : st_->page_all;
  s.bind(q.user, before, static_cast<int64_t>(q.limit) + 1);  // one more: is there a next page?
  while (s.step()) {
    if (p.items.size() == q.limit) {
      p.more = true;
      s.done();
      break;
    }
    p.items.push_back(row(s));
  }
  st_->count_all.bind(q.user);
  if (st_->count_all.step()) p.total = static_cast<uint64_t>(st_->count_all.i64(0));
  st_->count_all.done();
  p.unread = unread_count(q.user);
  return p;
}

uint64_t SqliteInboxStore::unread_count(const std::string& user) {
  uint64_t n = 0;
  st_->count_unread.bind(user);
  if (st_->count_unread.step()) n = static_cast<uint64_t>(st_->count_unread.i64(0));
  st_->count_unread.done();
  return n;
}

uint64_t SqliteInboxStore::mark_read(const std::string& user, const std::vector<uint64_t>& ids) {
  uint64_t changed = 0;
  for (uint64_t id : ids) changed += st_->mark_one.bind(id, user).run();
  return changed;
}

uint64_t SqliteInboxStore::mark_all_read(const std::string& user) {
  return st_->mark_all.bind(user).run();
}

std::vector<uint64_t> SqliteInboxStore::existing(const std::string& user,
                                                 const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> out;
  for (uint64_t id : ids) {
    st_->exists.bind(id, user);
    if (st_->exists.step()) out.push_back(id);
    st_->exists.done();
  }
  return out;
}

std::vector<Notification> SqliteInboxStore::take_undelivered(const std::string& user,
                                                             uint32_t limit) {
  std::vector<Notification> out;
  st_->undelivered.bind(user, limit);
  while (st_->undelivered.step()) out.push_back(row(st_->undelivered));
  for (auto& n : out) {
    st_->set_delivered.bind(n.id).run();
    n.delivered = true;
  }
  return out;
}

uint64_t SqliteInboxStore::delete_user(const std::string& user) {
  return st_->delete_user.bind(user).run();
}

uint64_t SqliteInboxStore::prune_user(const std::string& user, const Retention& r, int64_t now_ms) {
  uint64_t n = 0;
  if (r.max_age_ms > 0) n += st_->prune_user_age.bind(user, now_ms - r.max_age_ms).run();
  if (r.max_per_user > 0) n += st_->prune_user_count.bind(user, r.max_per_user).run();
  return n;
}

uint64_t SqliteInboxStore::prune(const Retention& r, int64_t now_ms) {
  uint64_t n = 0;
  if (r.max_age_ms > 0) n += st_->prune_age.bind(now_ms - r.max_age_ms).run();
  if (r.max_per_user > 0) n += st_->prune_count.bind(r.max_per_user).run();
  return n;
}

}  // namespace sb::store
