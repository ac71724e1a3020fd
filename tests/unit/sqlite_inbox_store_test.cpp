#include "store/sqlite_inbox_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "store/inbox_thread.hpp"

using namespace sb::store;
namespace fs = std::filesystem;

namespace {

// A real SQLite file in a fresh temp directory, removed afterwards.
class InboxStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("sb-inbox-" + std::to_string(rd()) + std::to_string(rd()));
    path_ = (dir_ / "sub" / "inbox.sqlite3").string();  // the directory is created on open
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static Notification make(std::string user, int64_t at, std::string data = "{}") {
    Notification n;
    n.user = std::move(user);
    n.event = "new_notification";
    n.data = std::move(data);
    n.created_at = at;
    return n;
  }
  fs::path dir_;
  std::string path_;
};

std::vector<uint64_t> ids(const Page& p) {
  std::vector<uint64_t> out;
  for (auto& n : p.items) out.push_back(n.id);
  return out;
}

}  // namespace

TEST_F(InboxStoreTest, InsertsAndPagesNewestFirstWithACursor) {
  SqliteInboxStore st(path_);
  std::vector<uint64_t> a;
  for (int i = 0; i < 5; ++i)
    a.push_back(st.insert(make("a", 1000 + i, "{\"n\":" + std::to_string(i) + "}")));
  st.insert(make("b", 1000));
  for (size_t i = 1; i < a.size(); ++i) EXPECT_GT(a[i], a[i - 1]) << "ids are monotonic";

  auto p1 = st.page({"a", 2, std::nullopt, false});
  EXPECT_EQ(ids(p1), (std::vector<uint64_t>{a[4], a[3]}));
  EXPECT_TRUE(p1.more);
  EXPECT_EQ(p1.total, 5u);
  EXPECT_EQ(p1.unread, 5u);
  EXPECT_EQ(p1.items[0].data, "{\"n\":4}");
  EXPECT_EQ(p1.items[0].event, "new_notification");
  EXPECT_EQ(p1.items[0].created_at, 1004);
  EXPECT_FALSE(p1.items[0].read);

  auto p2 = st.page({"a", 2, a[3], false});
  EXPECT_EQ(ids(p2), (std::vector<uint64_t>{a[2], a[1]}));
  auto p3 = st.page({"a", 2, a[1], false});
  EXPECT_EQ(ids(p3), (std::vector<uint64_t>{a[0]}));
  EXPECT_FALSE(p3.more);
  EXPECT_TRUE(st.page({"nobody", 10, std::nullopt, false}).items.empty());
}

TEST_F(InboxStoreTest, MarksReadAndFiltersUnread) {
  SqliteInboxStore st(path_);
  auto a1 = st.insert(make("a", 1));
  auto a2 = st.insert(make("a", 2));
  auto a3 = st.insert(make("a", 3));
  auto b1 = st.insert(make("b", 1));

  EXPECT_EQ(st.mark_read("a", {a1, a3, b1, 999999}), 2u)
      << "other users' and unknown ids change nothing";
  EXPECT_EQ(st.mark_read("a", {a1}), 0u) << "already read";
  EXPECT_EQ(st.unread_count("a"), 1u);
  EXPECT_EQ(st.unread_count("b"), 1u);
  EXPECT_EQ(st.existing("a", {a1, b1, 999999}), (std::vector<uint64_t>{a1}));

  auto unread = st.page({"a", 10, std::nullopt, true});
  EXPECT_EQ(ids(unread), (std::vector<uint64_t>{a2}));
  EXPECT_EQ(unread.total, 3u);
  EXPECT_EQ(unread.unread, 1u);
  auto all = st.page({"a", 10, std::nullopt, false});
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_TRUE(all.items[0].read);
  EXPECT_FALSE(all.items[1].read);

  EXPECT_EQ(st.mark_all_read("a"), 1u);
  EXPECT_EQ(st.unread_count("a"), 0u);
  EXPECT_EQ(st.unread_count("b"), 1u);
}

TEST_F(InboxStoreTest, TakesUndeliveredOnceOldestFirst) {
  SqliteInboxStore st(path_);
  auto n1 = make("a", 1);
  n1.deliver_missed = true;
  auto id1 = st.insert(n1);
  auto n2 = make("a", 2);
  n2.deliver_missed = true;
  n2.delivered = true;  // went out live
  st.insert(n2);
  auto n3 = make("a", 3);  // stored only: never pushed
  st.insert(n3);
  auto n4 = make("a", 4);
  n4.deliver_missed = true;
  auto id4 = st.insert(n4);
  auto n5 = make("a", 5);
  n5.deliver_missed = true;
  auto id5 = st.insert(n5);
  st.mark_read("a", {id5});  // read elsewhere: no push

  auto first = st.take_undelivered("a", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, id1);
  auto rest = st.take_undelivered("a", 100);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, id4);
  EXPECT_TRUE(st.take_undelivered("a", 100).empty()) << "pushed once";
  EXPECT_EQ(st.unread_count("a"), 4u) << "taking does not mark read";
}

TEST_F(InboxStoreTest, RetentionByAgeAndCount) {
  SqliteInboxStore st(path_);
  for (int i = 0; i < 10; ++i) st.insert(make("a", 100 + i));
  for (int i = 0; i < 3; ++i) st.insert(make("b", 100 + i));

  // Per user, on insert: keep the newest 4 of "a"; "b" untouched.
  EXPECT_EQ(st.prune_user("a", Retention{0, 4}, 1000), 6u);
  auto a = st.page({"a", 100, std::nullopt, false});
  ASSERT_EQ(a.items.size(), 4u);
  EXPECT_EQ(a.items.back().created_at, 106);
  EXPECT_EQ(st.page({"b", 100, std::nullopt, false}).total, 3u);

  // Whole file: older than 10 ms at now=112 means created_at < 102 goes (b's 100, 101).
  EXPECT_EQ(st.prune(Retention{10, 0}, 112), 2u);
  EXPECT_EQ(st.page({"b", 100, std::nullopt, false}).total, 1u);
  // Whole file by count: 2 per user.
  EXPECT_EQ(st.prune(Retention{0, 2}, 112), 2u);
  EXPECT_EQ(st.page({"a", 100, std::nullopt, false}).total, 2u);
  EXPECT_EQ(st.page({"b", 100, std::nullopt, false}).total, 1u);
  EXPECT_EQ(st.prune(Retention{0, 0}, 112), 0u) << "no limits: nothing goes";
}

TEST_F(InboxStoreTest, DeletesOneUser) {
  SqliteInboxStore st(path_);
  st.insert(make("a", 1));
  st.insert(make("a", 2));
  st.insert(make("b", 1));
  EXPECT_EQ(st.delete_user("a"), 2u);
  EXPECT_EQ(st.delete_user("a"), 0u);
  EXPECT_EQ(st.page({"a", 10, std::nullopt, false}).total, 0u);
  EXPECT_EQ(st.page({"b", 10, std::nullopt, false}).total, 1u);
}

TEST_F(InboxStoreTest, ReopensWithEverythingCommittedAndIdsNeverReused) {
  uint64_t last = 0;
  {
    SqliteInboxStore st(path_);
    st.begin();
    st.insert(make("a", 1, "[1,2]"));
    last = st.insert(make("a", 2));
    st.commit();
    st.begin();
    st.insert(make("a", 3));
    st.rollback();  // not committed: gone after reopening
    st.mark_read("a", {last});
    st.delete_user("a");
    auto again = st.insert(make("a", 4));
    EXPECT_GT(again, last) << "AUTOINCREMENT: a deleted id is not handed out again";
    last = again;
  }
  SqliteInboxStore st(path_);
  auto p = st.page({"a", 10, std::nullopt, false});
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0].id, last);
  EXPECT_GT(st.insert(make("a", 5)), last);
}

TEST_F(InboxStoreTest, RefusesAPathItCannotOpen) {
  fs::create_directories(dir_);
  const auto file = dir_ / "plain-file";
  { std::ofstream(file) << "x"; }
  EXPECT_THROW(SqliteInboxStore((file / "inbox.sqlite3").string()), std::runtime_error);
}

TEST_F(InboxStoreTest, ThreadBatchesJobsAndRunsContinuationsAfterCommit) {
  std::vector<uint64_t> stored;
  std::mutex mu;
  {
    InboxThread t(std::make_unique<SqliteInboxStore>(path_), Retention{0, 3}, 60000);
    for (int i = 0; i < 20; ++i) {
      t.post([&, i](InboxStore& st) -> InboxThread::After {
        auto id = st.insert(make("a", i));
        st.prune_user("a", Retention{0, 3}, i);
        return [&, id](bool committed) {
          EXPECT_TRUE(committed);
          std::lock_guard lk(mu);
          stored.push_back(id);
        };
      });
    }
    t.post([](InboxStore&) -> InboxThread::After { throw std::runtime_error("a bad job"); });
    t.stop();  // drains the queue first
    EXPECT_FALSE(t.post([](InboxStore&) { return InboxThread::After{}; }));
  }
  EXPECT_EQ(stored.size(), 20u);
  SqliteInboxStore st(path_);
  EXPECT_EQ(st.page({"a", 10, std::nullopt, false}).total, 3u);
}
