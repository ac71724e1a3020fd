// RedisRecoveryLog (connection state recovery shared by a Redis cluster)
// against a real redis-server: two logs stand for two nodes, each with its own
// SioServer on one worker.
#include "gateways/inter_service/recovery_log_redis.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <memory>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/cluster_publisher.hpp"
#include "gateways/inter_service/memory_broker.hpp"
#include "net/worker.hpp"
#include "support/child_process.hpp"
#include "support/wait.hpp"

using namespace sb;
using namespace sb::inter_service;
using protocol::StreamId;
using sb::test::ChildProcess;
using sb::test::wait_until;

namespace {

struct RedisNode {
  net::Worker worker{0};
  std::unique_ptr<sio::SioServer> sio;
  std::unique_ptr<MemoryBroker> broker;
  std::unique_ptr<ClusterPublisher> publisher;
  std::unique_ptr<RedisRecoveryLog> log;

  RedisNode(int port, std::string uid) {
    worker.start();
    sio::SioOptions so;
    so.recovery.enabled = true;
    sio = std::make_unique<sio::SioServer>(std::vector<net::Worker*>{&worker}, so, nullptr);
    sio->of("/");
    broker = std::make_unique<MemoryBroker>("cluster", worker);
    broker->start();
    publisher = std::make_unique<ClusterPublisher>(
        *broker, ClusterChannels(ClusterScheme::redis, "socket.io"), uid);
    RecoveryLogOptions o;
    o.url.port = port;
    o.uid = uid;
    o.recovery = so.recovery;
    o.restore_timeout_ms = 2000;
    o.command_timeout_ms = 1000;
    log = std::make_unique<RedisRecoveryLog>(o, *sio, *publisher);
    log->start();
  }
  ~RedisNode() {
    log->stop();
    broker->stop();
    worker.stop();
  }
  // The last log entry this node's worker delivered (read on the worker).
  StreamId last() {
    std::promise<StreamId> p;
    auto f = p.get_future();
    worker.post([&] { p.set_value(sio->last_stream_id(0)); });
    return f.get();
  }
  void emit(std::vector<std::string> rooms, int n, std::string nsp = "/") {
    boost::json::array args{n};
    std::vector<std::string> except;
    std::vector<sio::Bytes> attachments;
    log->append(sio::ClusterEmit{nsp, rooms, except, false, "news", args, attachments});
  }
  std::optional<sio::SharedRestored> restore(std::string pid, std::string offset,
                                             std::string nsp = "/") {
    std::promise<std::optional<sio::SharedRestored>> p;
    auto f = p.get_future();
    log->restore(pid, offset, nsp, [&](std::optional<sio::SharedRestored> r) { p.set_value(r); });
    return f.get();
  }
};

std::string broadcast_text(const sio::Broadcast& b) {
  return std::string(b.wires.at(0)->payload());
}

class RecoveryLogRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sb::test::find_program("redis-server").empty())
      GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    port = sb::test::free_tcp_port();
    dir = std::filesystem::temp_directory_path() / ("sb-recovery-" + std::to_string(port));
    std::filesystem::create_directories(dir);
    start_server();
  }
  void TearDown() override {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  void start_server() {
    server = std::make_unique<ChildProcess>(
        "redis-server", std::vector<std::string>{"--port", std::to_string(port), "--bind",
                                                 "127.0.0.1", "--save", "", "--appendonly", "no",
                                                 "--dir", dir.string(), "--protected-mode", "no"});
    ASSERT_TRUE(sb::test::wait_for_port(port));
  }
  // A node whose reader has found the stream's tip (appends are taken from then on).
  std::unique_ptr<RedisNode> node(std::string uid) {
    auto n = std::make_unique<RedisNode>(port, uid);
    EXPECT_TRUE(wait_until([&] { return n->log->ready(); }));
    return n;
  }

  int port = 0;
  std::filesystem::path dir;
  std::unique_ptr<ChildProcess> server;
};

}  // namespace

TEST_F(RecoveryLogRedisTest, EveryNodeDeliversEveryEntryWithTheSameIds) {
  auto a = node("nodeA"), b = node("nodeB");
  a->emit({"r1"}, 1);
  b->emit({"r1"}, 2);
  a->emit({}, 3);
  ASSERT_TRUE(wait_until([&] {
    auto ra = a->log->recent({}, {UINT64_MAX, UINT64_MAX});
    auto rb = b->log->recent({}, {UINT64_MAX, UINT64_MAX});
    return ra && rb && ra->size() == 3 && rb->size() == 3;
  }));
  auto ra = *a->log->recent({}, {UINT64_MAX, UINT64_MAX});
  auto rb = *b->log->recent({}, {UINT64_MAX, UINT64_MAX});
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ra[i]->stream_id, rb[i]->stream_id);
    EXPECT_EQ(broadcast_text(*ra[i]), broadcast_text(*rb[i]));
    EXPECT_NE(broadcast_text(*ra[i]).find("\"" + ra[i]->stream_id.to_string() + "\"]"),
              std::string::npos)
        << broadcast_text(*ra[i]);
  }
  EXPECT_LT(ra[0]->stream_id, ra[1]->stream_id);
  EXPECT_TRUE(wait_until([&] { return a->last() == ra[2]->stream_id; }));
  EXPECT_TRUE(wait_until([&] { return b->last() == ra[2]->stream_id; }));
  // recent(after, upto) is a window of what was read.
  auto mid = a->log->recent(ra[0]->stream_id, ra[1]->stream_id);
  ASSERT_TRUE(mid);
  ASSERT_EQ(mid->size(), 1u);
  EXPECT_EQ((*mid)[0]->stream_id, ra[1]->stream_id);
}

TEST_F(RecoveryLogRedisTest, ASessionSavedOnOneNodeIsRestoredOnceOnAnother) {
  auto a = node("nodeA"), b = node("nodeB");
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  a->log->save(sio::SavedSession{"pid1", "sid1", "/", "alice", {"r1"}, 0});
  a->emit({"r1"}, 1);
  b->emit({"r2"}, 2);    // another room
  b->emit({}, 3, "/x");  // another namespace
  b->emit({"r1"}, 4);
  a->emit({}, 5);  // the whole namespace
  ASSERT_TRUE(wait_until([&] {
    auto r = b->log->recent(seen, {UINT64_MAX, UINT64_MAX});
    return r && r->size() == 5;
  }));
  const StreamId tip = b->log->recent(seen, {UINT64_MAX, UINT64_MAX})->back()->stream_id;
  // The two writers interleave: the expected replay is the log's order, filtered.
  std::vector<std::string> expected;
  const auto window = b->log->recent(seen, tip);
  ASSERT_TRUE(window);
  for (auto& e : *window)
    for (const char* n : {"1", "4", "5"})
      if (broadcast_text(*e).find(std::string("[\"news\",") + n + ",") != std::string::npos)
        expected.push_back(broadcast_text(*e));
  ASSERT_EQ(expected.size(), 3u);

  // a's SET went before its later XADDs (one writer, in order), which b has read.
  auto r = b->restore("pid1", seen.to_string());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.pid, "pid1");
  EXPECT_EQ(r->session.sid, "sid1");
  EXPECT_EQ(r->session.user_id, "alice");
  EXPECT_EQ(r->session.rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(r->upto, tip);
  std::vector<std::string> got;
  for (auto& m : r->missed) got.push_back(broadcast_text(*m));
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(b->restore("pid1", seen.to_string()));  // once

  b->log->save(sio::SavedSession{"pid1", "sid1", "/", "alice", {"r1"}, 0});
  EXPECT_FALSE(b->restore("pid1", seen.to_string(), "/x"));  // another namespace
}

TEST_F(RecoveryLogRedisTest, UnknownPidBadOrTrimmedOffsetAreNotRestored) {
  auto a = node("nodeA");
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  EXPECT_FALSE(a->restore("nobody", seen.to_string()));
  for (const char* bad : {"", "abc", "1-x", "k3j2x9-12"}) {
    a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
    EXPECT_FALSE(a->restore("pid2", bad)) << bad;
  }
  // An offset older than the stream's first entry.
  a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
  EXPECT_FALSE(a->restore("pid2", "1-0"));
  // The offset itself, with nothing after it: restored with nothing missed.
  a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
  auto r = a->restore("pid2", seen.to_string());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->missed.empty());
  EXPECT_EQ(r->upto, seen);
}

TEST_F(RecoveryLogRedisTest, ALongReplayIsReadInPages) {
  auto a = node("nodeA");
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  a->log->save(sio::SavedSession{"pid3", "sid3", "/", "", {"r1"}, 0});
  constexpr int kN = 2500;
  for (int i = 1; i <= kN; ++i) a->emit({"r1"}, i);
  ASSERT_TRUE(wait_until([&] {
    auto r = a->log->recent(seen, {UINT64_MAX, UINT64_MAX});
    return r && r->size() == kN;
  }));
  auto r = a->restore("pid3", seen.to_string());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->missed.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i)
    ASSERT_NE(broadcast_text(*r->missed[i]).find("[\"news\"," + std::to_string(i + 1) + ","),
              std::string::npos)
        << i;
}

TEST_F(RecoveryLogRedisTest, RedisDownRefusesAtOnceAndFallsBackThenRecovers) {
  // Declared before the node: its broker may still deliver while the node stops.
  sb::test::Collector<std::string> pubsub;
  auto a = node("nodeA");
  a->broker->subscribe("socket.io#/#r1#",
                       [&](const Message& m, Ack ack) {
                         pubsub.add(m.payload);
                         ack.ok();
                       },
                       {});
  a->log->save(sio::SavedSession{"pid4", "sid4", "/", "", {"r1"}, 0});
  server.reset();  // Redis goes away
  // Restores answer (not found) without waiting for Redis to come back.
  EXPECT_FALSE(a->restore("pid4", "1-0"));
  // Broadcasts still go out: over pub/sub (and locally without an offset).
  ASSERT_TRUE(wait_until([&] {
    a->emit({"r1"}, 7);
    return pubsub.size() > 0;
  }));
  start_server();
  // Back: appends are recorded again (the reader delivers them with ids).
  ASSERT_TRUE(wait_until(
      [&] {
        a->emit({"r1"}, 8);
        return !a->last().empty();
      },
      std::chrono::seconds(20)));
}
