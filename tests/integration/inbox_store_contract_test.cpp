// The InboxStore contract, run on both stores: SQLite (a temp file) and Redis
// (a real redis-server on a free loopback port). Then what only the shared
// Redis store does: claims between two nodes, and an outage.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <thread>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>

#include "store/inbox_thread.hpp"
#include "store/redis_inbox_store.hpp"
#include "store/sqlite_inbox_store.hpp"
#include "support/child_process.hpp"
#include "support/wait.hpp"

using namespace sb::store;
using sb::test::ChildProcess;
namespace fs = std::filesystem;

namespace {

// One redis-server, or one SQLite directory, per test.
class InboxContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ =
        fs::temp_directory_path() / ("sb-inbox-c-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
    if (redis()) {
      if (sb::test::find_program("redis-server").empty())
        GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
      port_ = sb::test::free_tcp_port();
      start_redis();
    }
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool redis() const { return GetParam() == "redis"; }
  void start_redis() {
    server_ = std::make_unique<ChildProcess>(
        "redis-server", std::vector<std::string>{"--port", std::to_string(port_), "--bind",
                                                 "127.0.0.1", "--save", "", "--appendonly", "no",
                                                 "--dir", dir_.string(), "--protected-mode", "no"});
    ASSERT_TRUE(sb::test::wait_for_port(port_));
  }
  RedisInboxOptions redis_options(std::string node) const {
    RedisInboxOptions o;
    o.port = port_;
    o.key_prefix = "test:inbox:";
    o.node = std::move(node);
    o.retry_ms = 0;
    return o;
  }
  // A store on the same data as every other one this test opened.
  std::unique_ptr<InboxStore> open(std::string node = "n1") {
    if (redis()) return std::make_unique<RedisInboxStore>(redis_options(std::move(node)));
    return std::make_unique<SqliteInboxStore>((dir_ / "inbox.sqlite3").string());
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
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

std::vector<uint64_t> ids(const Page& p) {
  std::vector<uint64_t> out;
  for (auto& n : p.items) out.push_back(n.id);
  return out;
}

}  // namespace

TEST_P(InboxContract, InsertsAndPagesNewestFirstWithACursor) {
  auto st = open();
  std::vector<uint64_t> a;
  for (int i = 0; i < 5; ++i)
    a.push_back(st->insert(make("a", 1000 + i, "{\"n\":" + std::to_string(i) + "}")));
  st->insert(make("b", 1000));
  for (size_t i = 1; i < a.size(); ++i) EXPECT_GT(a[i], a[i - 1]) << "ids are monotonic";

  auto p1 = st->page({"a", 2, std::nullopt, false});
  EXPECT_EQ(ids(p1), (std::vector<uint64_t>{a[4], a[3]}));
  EXPECT_TRUE(p1.more);
  EXPECT_EQ(p1.total, 5u);
  EXPECT_EQ(p1.unread, 5u);
  ASSERT_EQ(p1.items.size(), 2u);
  EXPECT_EQ(p1.items[0].data, "{\"n\":4}");
  EXPECT_EQ(p1.items[0].user, "a");
  EXPECT_EQ(p1.items[0].event, "new_notification");
  EXPECT_EQ(p1.items[0].created_at, 1004);
  EXPECT_FALSE(p1.items[0].read);

  EXPECT_EQ(ids(st->page({"a", 2, a[3], false})), (std::vector<uint64_t>{a[2], a[1]}));
  auto p3 = st->page({"a", 2, a[1], false});
  EXPECT_EQ(ids(p3), (std::vector<uint64_t>{a[0]}));
  EXPECT_FALSE(p3.more);
  EXPECT_TRUE(st->page({"nobody", 10, std::nullopt, false}).items.empty());
}

TEST_P(InboxContract, MarksReadAndFiltersUnread) {
  auto st = open();
  auto a1 = st->insert(make("a", 1));
  auto a2 = st->insert(make("a", 2));
  auto a3 = st->insert(make("a", 3));
  auto b1 = st->insert(make("b", 1));

  EXPECT_EQ(st->mark_read("a", {a1, a3, b1, 999999}), 2u)
      << "other users' and unknown ids change nothing";
  EXPECT_EQ(st->mark_read("a", {a1}), 0u) << "already read";
  EXPECT_EQ(st->unread_count("a"), 1u);
  EXPECT_EQ(st->unread_count("b"), 1u);
  EXPECT_EQ(st->existing("a", {a1, b1, 999999}), (std::vector<uint64_t>{a1}));

  auto unread = st->page({"a", 10, std::nullopt, true});
  EXPECT_EQ(ids(unread), (std::vector<uint64_t>{a2}));
  EXPECT_EQ(unread.total, 3u);
  EXPECT_EQ(unread.unread, 1u);
  auto all = st->page({"a", 10, std::nullopt, false});
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_TRUE(all.items[0].read);
  EXPECT_FALSE(all.items[1].read);

  EXPECT_EQ(st->mark_all_read("a"), 1u);
  EXPECT_EQ(st->unread_count("a"), 0u);
  EXPECT_EQ(st->unread_count("b"), 1u);
}

TEST_P(InboxContract, TakesUndeliveredOnceOldestFirst) {
  auto st = open();
  auto n1 = make("a", 1);
  n1.deliver_missed = true;
  auto id1 = st->insert(n1);
  auto n2 = make("a", 2);
  n2.deliver_missed = true;
  n2.delivered = true;  // went out live
  st->insert(n2);
  st->insert(make("a", 3));  // stored only: never pushed
  auto n4 = make("a", 4);
  n4.deliver_missed = true;
  auto id4 = st->insert(n4);
  auto n5 = make("a", 5);
  n5.deliver_missed = true;
  auto id5 = st->insert(n5);
  st->mark_read("a", {id5});  // read elsewhere: no push

  auto first = st->take_undelivered("a", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, id1);
  EXPECT_TRUE(first[0].delivered);
  auto rest = st->take_undelivered("a", 100);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, id4);
  EXPECT_TRUE(st->take_undelivered("a", 100).empty()) << "pushed once";
  EXPECT_EQ(st->unread_count("a"), 4u) << "taking does not mark read";
}

TEST_P(InboxContract, RetentionByAgeAndCount) {
  auto st = open();
  for (int i = 0; i < 10; ++i) st->insert(make("a", 100 + i));
  for (int i = 0; i < 3; ++i) st->insert(make("b", 100 + i));

  EXPECT_EQ(st->prune_user("a", Retention{0, 4}, 1000), 6u);
  auto a = st->page({"a", 100, std::nullopt, false});
  ASSERT_EQ(a.items.size(), 4u);
  EXPECT_EQ(a.items.back().created_at, 106);
  EXPECT_EQ(st->page({"b", 100, std::nullopt, false}).total, 3u);
  // Per user by age: created_at < 108 goes.
  EXPECT_EQ(st->prune_user("a", Retention{10, 0}, 118), 2u);
  EXPECT_EQ(st->page({"a", 100, std::nullopt, false}).total, 2u);

  // Everything: older than 10 ms at now=112 means created_at < 102 goes (b's 100, 101).
  EXPECT_EQ(st->prune(Retention{10, 0}, 112), 2u);
  EXPECT_EQ(st->page({"b", 100, std::nullopt, false}).total, 1u);
  for (int i = 0; i < 3; ++i) st->insert(make("b", 200 + i));
  EXPECT_EQ(st->prune(Retention{0, 2}, 112), 2u);
  EXPECT_EQ(st->page({"a", 100, std::nullopt, false}).total, 2u);
  EXPECT_EQ(st->page({"b", 100, std::nullopt, false}).total, 2u);
  EXPECT_EQ(st->prune(Retention{0, 0}, 112), 0u) << "no limits: nothing goes";
  EXPECT_EQ(st->unread_count("b"), 2u) << "the unread set follows the deletions";
}

TEST_P(InboxContract, DeletesOneUserAndNeverReusesIds) {
  auto st = open();
  st->insert(make("a", 1));
  auto last = st->insert(make("a", 2));
  st->insert(make("b", 1));
  EXPECT_EQ(st->delete_user("a"), 2u);
  EXPECT_EQ(st->delete_user("a"), 0u);
  EXPECT_EQ(st->page({"a", 10, std::nullopt, false}).total, 0u);
  EXPECT_EQ(st->unread_count("a"), 0u);
  EXPECT_EQ(st->page({"b", 10, std::nullopt, false}).total, 1u);
  EXPECT_GT(st->insert(make("a", 3)), last) << "a deleted id is not handed out again";
}

TEST_P(InboxContract, ThreadRunsJobsAndContinuations) {
  std::vector<uint64_t> stored;
  std::mutex mu;
  {
    InboxThread t(open(), Retention{0, 3}, 60000);
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
    t.stop();
  }
  EXPECT_EQ(stored.size(), 20u);
  EXPECT_EQ(open()->page({"a", 10, std::nullopt, false}).total, 3u);
}

INSTANTIATE_TEST_SUITE_P(Stores, InboxContract, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });

// Only the shared store from here on.
class RedisInboxShared : public InboxContract {};

TEST_P(RedisInboxShared, ClaimsRecordWhichNodesDelivered) {
  auto a = open("node-a");
  auto b = open("node-b");
  auto n = make("u", 1);
  n.deliver_missed = true;
  const auto id = a->insert(n);
  EXPECT_EQ(b->claim("u", id).state, Claim::State::claimed);
  EXPECT_EQ(b->claim("u", id).state, Claim::State::mine);
  EXPECT_EQ(a->claim("u", id).state, Claim::State::delivered) << "b had it: a is added";
  EXPECT_EQ(a->claim("u", id).state, Claim::State::mine);
  EXPECT_EQ(a->claim("other-user", id).state, Claim::State::missing);
  EXPECT_EQ(a->claim("u", id + 1000).state, Claim::State::missing);
  EXPECT_TRUE(a->take_undelivered("u", 10).empty()) << "claimed live: not pushed on connect";

  // A push that found no socket gives the row back; pending again only when
  // no node holds it any more.
  EXPECT_FALSE(b->unclaim("u", id)) << "a still holds it";
  EXPECT_FALSE(b->unclaim("u", id)) << "b holds it no more: nothing changes";
  EXPECT_TRUE(a->unclaim("u", id));
  auto again = b->take_undelivered("u", 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(a->claim("u", id).state, Claim::State::delivered) << "a take is a claim";
  EXPECT_EQ(b->claim("u", id).state, Claim::State::mine);

  // Read rows given back are not pushed again.
  const auto id2 = a->insert(n);
  EXPECT_EQ(a->claim("u", id2).state, Claim::State::claimed);
  a->mark_read("u", {id2});
  EXPECT_TRUE(a->unclaim("u", id2));
  EXPECT_TRUE(b->take_undelivered("u", 10).empty());

  // Delivered by this node at insert (a socket here): recorded as this node's.
  auto live = make("u", 2);
  live.delivered = true;
  const auto id3 = a->insert(live);
  EXPECT_EQ(a->claim("u", id3).state, Claim::State::mine);
  EXPECT_EQ(b->claim("u", id3).state, Claim::State::delivered);
}

TEST_P(RedisInboxShared, ManyTakersNeverTakeARowTwice) {
  auto writer = open("w");
  std::vector<uint64_t> sent;
  for (int i = 0; i < 200; ++i) {
    auto n = make("u", i);
    n.deliver_missed = true;
    sent.push_back(writer->insert(n));
  }
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      auto st = open("t" + std::to_string(t));
      for (;;) {
        auto batch = st->take_undelivered("u", 7);
        if (batch.empty()) break;
        for (auto& n : batch) got[t].push_back(n.id);
      }
    });
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& g : got) {
    for (size_t i = 1; i < g.size(); ++i) EXPECT_LT(g[i - 1], g[i]) << "oldest first";
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, sent) << "every row taken, none twice";
}

TEST_P(RedisInboxShared, AnOutageFailsCallsAndTheyWorkAgainAfter) {
  auto st = open();
  const auto id = st->insert(make("u", 1));
  server_->kill(SIGKILL);
  EXPECT_THROW(st->page({"u", 10, std::nullopt, false}), std::runtime_error);
  EXPECT_THROW(st->insert(make("u", 2)), std::runtime_error);
  start_redis();  // empty again (no persistence): the store works, scripts reloaded
  EXPECT_TRUE(sb::test::wait_until([&] {
    try {
      st->unread_count("u");
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  }));
  EXPECT_EQ(st->page({"u", 10, std::nullopt, false}).total, 0u);
  EXPECT_GE(st->insert(make("u", 3)), 1u);
  (void)id;
}

INSTANTIATE_TEST_SUITE_P(Redis, RedisInboxShared, ::testing::Values("redis"),
                         [](const auto& info) { return info.param; });
