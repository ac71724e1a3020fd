// The shared recovery logs (connection state recovery shared by a cluster,
// sio::SharedRecovery) run on both engines: RedisRecoveryLog against a real
// redis-server, NatsRecoveryLog against a real nats-server with JetStream. Two
// logs stand for two nodes, each with its own SioServer on one worker. Then
// what only the NATS log does: a server without JetStream, a silent server, a
// server that lost its store, pids that are no subject token.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/cluster_publisher.hpp"
#include "gateways/inter_service/memory_broker.hpp"
#include "gateways/inter_service/recovery_log_nats.hpp"
#include "gateways/inter_service/recovery_log_redis.hpp"
#include "net/worker.hpp"
#include "support/child_process.hpp"
#include "support/wait.hpp"

using namespace sb;
using namespace sb::inter_service;
using protocol::StreamId;
using sb::test::ChildProcess;
using sb::test::wait_until;

namespace {

struct Node {
  net::Worker worker{0};
  std::unique_ptr<sio::SioServer> sio;
  std::unique_ptr<MemoryBroker> broker;
  std::unique_ptr<ClusterPublisher> publisher;
  std::unique_ptr<RedisRecoveryLog> redis;  // one of the two
  std::unique_ptr<NatsRecoveryLog> nats;
  sio::SharedRecovery* log = nullptr;
  std::atomic<int> unavailable{0};  // NATS: on_unavailable calls

  Node(const std::string& engine, int port, std::string uid, size_t max_packets = 10000) {
    worker.start();
    sio::SioOptions so;
    so.recovery.enabled = true;
    so.recovery.max_packets = max_packets;
    sio = std::make_unique<sio::SioServer>(std::vector<net::Worker*>{&worker}, so, nullptr);
    sio->of("/");
    broker = std::make_unique<MemoryBroker>("cluster", worker);
    broker->start();
    publisher = std::make_unique<ClusterPublisher>(
        *broker,
        ClusterChannels(engine == "redis" ? ClusterScheme::redis : ClusterScheme::nats,
                        "socket.io"),
        uid);
    auto common = [&](RecoveryLogOptions& o) {
      o.uid = uid;
      o.recovery = so.recovery;
      o.restore_timeout_ms = 3000;
      o.command_timeout_ms = 1000;
    };
    if (engine == "redis") {
      RedisRecoveryLogOptions o;
      common(o);
      o.url.port = port;
      redis = std::make_unique<RedisRecoveryLog>(o, *sio, *publisher);
      redis->start();
      log = redis.get();
    } else {
      NatsRecoveryLogOptions o;
      common(o);
      o.servers = {"nats://127.0.0.1:" + std::to_string(port)};
      o.on_unavailable = [this] { ++unavailable; };
      nats = std::make_unique<NatsRecoveryLog>(o, *sio, *publisher);
      nats->start();
      log = nats.get();
    }
  }
  ~Node() {
    if (redis) redis->stop();
    if (nats) nats->stop();
    broker->stop();
    worker.stop();
  }
  bool ready() const { return redis ? redis->ready() : nats->ready(); }
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
  std::future<std::optional<sio::SharedRestored>> restore_async(std::string pid, std::string offset,
                                                                std::string nsp = "/") {
    auto p = std::make_shared<std::promise<std::optional<sio::SharedRestored>>>();
    auto f = p->get_future();
    log->restore(pid, offset, nsp, [p](std::optional<sio::SharedRestored> r) { p->set_value(r); });
    return f;
  }
  std::optional<sio::SharedRestored> restore(std::string pid, std::string offset,
                                             std::string nsp = "/") {
    return restore_async(pid, offset, nsp).get();
  }
};

std::string text(const sio::Broadcast& b) {
  return std::string(b.wires.at(0)->payload());
}

constexpr StreamId kAll{UINT64_MAX, UINT64_MAX};

// The consumers of JetStream stream `name` (asked with a connection of the test's own).
int64_t consumers_of(int port, const std::string& name) {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* si = nullptr;
  int64_t n = -1;
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  if (natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK &&
      natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
      js_GetStreamInfo(&si, js, name.c_str(), nullptr, nullptr) == NATS_OK)
    n = static_cast<int64_t>(si->State.Consumers);
  if (si) jsStreamInfo_Destroy(si);
  if (js) jsCtx_Destroy(js);
  if (nc) natsConnection_Destroy(nc);
  return n;
}

// One server per test, "redis" or "nats" (with JetStream, its store in `dir`).
class RecoveryLogContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string program = GetParam() + "-server";
    if (sb::test::find_program(program).empty())
      GTEST_SKIP() << program << " is not installed (scripts/install-deps.sh)";
    port = sb::test::free_tcp_port();
    dir = std::filesystem::temp_directory_path() /
          ("sb-recovery-" + GetParam() + "-" + std::to_string(port));
    std::filesystem::create_directories(dir);
    start_server();
  }
  void TearDown() override {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  bool nats() const { return GetParam() == "nats"; }
  void start_server(bool jetstream = true) {
    std::vector<std::string> args;
    if (nats()) {
      args = {"-a", "127.0.0.1", "-p", std::to_string(port)};
      if (jetstream) args.insert(args.end(), {"-js", "-sd", dir.string()});
    } else {
      args = {"--port",
              std::to_string(port),
              "--bind",
              "127.0.0.1",
              "--save",
              "",
              "--appendonly",
              "no",
              "--dir",
              dir.string(),
              "--protected-mode",
              "no"};
    }
    server = std::make_unique<ChildProcess>(GetParam() + "-server", args);
    ASSERT_TRUE(sb::test::wait_for_port(port));
  }
  // A node whose reader is in place (appends are taken from then on).
  std::unique_ptr<Node> node(std::string uid, size_t max_packets = 10000) {
    auto n = std::make_unique<Node>(GetParam(), port, uid, max_packets);
    EXPECT_TRUE(wait_until([&] { return n->ready(); }));
    return n;
  }
  // Where the cluster's pub/sub carries a node's fallback broadcasts to room r1.
  std::string fallback_channel() const {
    return nats() ? "socket.io./.broadcast" : "socket.io#/#r1#";
  }

  int port = 0;
  std::filesystem::path dir;
  std::unique_ptr<ChildProcess> server;
};

}  // namespace

TEST_P(RecoveryLogContract, EveryNodeDeliversEveryEntryWithTheSameIds) {
  auto a = node("nodeA"), b = node("nodeB");
  a->emit({"r1"}, 1);
  b->emit({"r1"}, 2);
  a->emit({}, 3);
  ASSERT_TRUE(wait_until([&] {
    auto ra = a->log->recent({}, kAll);
    auto rb = b->log->recent({}, kAll);
    return ra && rb && ra->size() == 3 && rb->size() == 3;
  }));
  auto ra = *a->log->recent({}, kAll);
  auto rb = *b->log->recent({}, kAll);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ra[i]->stream_id, rb[i]->stream_id);
    if (nats()) {
      EXPECT_EQ(ra[i]->stream_id.ms, 0u);  // "0-<stream sequence>"
    }
    EXPECT_EQ(text(*ra[i]), text(*rb[i]));
    EXPECT_NE(text(*ra[i]).find("\"" + ra[i]->stream_id.to_string() + "\"]"), std::string::npos)
        << text(*ra[i]);
  }
  EXPECT_LT(ra[0]->stream_id, ra[1]->stream_id);
  if (nats()) {
    EXPECT_EQ(ra[1]->stream_id.seq, ra[0]->stream_id.seq + 1);
  }
  EXPECT_TRUE(wait_until([&] { return a->last() == ra[2]->stream_id; }));
  EXPECT_TRUE(wait_until([&] { return b->last() == ra[2]->stream_id; }));
  // recent(after, upto) is a window of what was read.
  auto mid = a->log->recent(ra[0]->stream_id, ra[1]->stream_id);
  ASSERT_TRUE(mid);
  ASSERT_EQ(mid->size(), 1u);
  EXPECT_EQ((*mid)[0]->stream_id, ra[1]->stream_id);
}

TEST_P(RecoveryLogContract, ASessionSavedOnOneNodeIsRestoredOnceOnAnother) {
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
    auto r = b->log->recent(seen, kAll);
    return r && r->size() == 5;
  }));
  const StreamId tip = b->log->recent(seen, kAll)->back()->stream_id;
  // The two writers interleave: the expected replay is the log's order, filtered.
  std::vector<std::string> expected;
  const auto window = b->log->recent(seen, tip);
  ASSERT_TRUE(window);
  for (auto& e : *window)
    for (const char* n : {"1", "4", "5"})
      if (text(*e).find(std::string("[\"news\",") + n + ",") != std::string::npos)
        expected.push_back(text(*e));
  ASSERT_EQ(expected.size(), 3u);

  // a saved before its later appends (one writer, in order), which b has read.
  auto r = b->restore("pid1", seen.to_string());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.pid, "pid1");
  EXPECT_EQ(r->session.sid, "sid1");
  EXPECT_EQ(r->session.user_id, "alice");
  EXPECT_EQ(r->session.rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(r->upto, tip);
  std::vector<std::string> got;
  for (auto& m : r->missed) got.push_back(text(*m));
  EXPECT_EQ(got, expected);
  if (nats()) {
    // The replay's consumer is gone; the two readers' stay.
    EXPECT_EQ(consumers_of(port, b->nats->stream_name()), 2);
  }
  EXPECT_FALSE(b->restore("pid1", seen.to_string()));  // once
  EXPECT_FALSE(a->restore("pid1", seen.to_string()));  // once, on any node

  b->log->save(sio::SavedSession{"pid1", "sid1", "/", "alice", {"r1"}, 0});
  EXPECT_FALSE(b->restore("pid1", seen.to_string(), "/x"));  // another namespace
}

TEST_P(RecoveryLogContract, TwoNodesTakingOneSessionAtOnceOnlyOneGetsIt) {
  auto a = node("nodeA"), b = node("nodeB");
  a->emit({}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty() && !b->last().empty(); }));
  const StreamId seen = a->last();
  for (int i = 0; i < 20; ++i) {
    const std::string pid = "race" + std::to_string(i);
    a->log->save(sio::SavedSession{pid, "sid", "/", "", {}, 0});
    auto fa = a->restore_async(pid, seen.to_string());
    auto fb = b->restore_async(pid, seen.to_string());
    const bool ga = fa.get().has_value(), gb = fb.get().has_value();
    // a's restore follows its save: a takes it unless b took it first.
    EXPECT_EQ(int(ga) + int(gb), 1) << pid;
  }
}

TEST_P(RecoveryLogContract, UnknownPidOrBadOffsetAreNotRestored) {
  auto a = node("nodeA");
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  EXPECT_FALSE(a->restore("nobody", seen.to_string()));
  // Not offsets, offsets no log gives ("0-0"; "5-1" on NATS), older than the
  // log's first entry ("1-0" on Redis), after its last ("0-999999" on NATS).
  for (const char* bad : {"", "abc", "1-x", "k3j2x9-12", "1-0", "5-1", "0-0", "0-999999"}) {
    a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
    EXPECT_FALSE(a->restore("pid2", bad)) << bad;
  }
  // The offset itself, with nothing after it: restored with nothing missed.
  a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
  auto r = a->restore("pid2", seen.to_string());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->missed.empty());
  EXPECT_EQ(r->upto, seen);
}

TEST_P(RecoveryLogContract, ALongReplayIsReadInPages) {
  auto a = node("nodeA");
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  a->log->save(sio::SavedSession{"pid3", "sid3", "/", "", {"r1"}, 0});
  constexpr int kN = 2500;
  for (int i = 1; i <= kN; ++i) a->emit({"r1"}, i);
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = a->log->recent(seen, kAll);
        return r && r->size() == kN;
      },
      std::chrono::seconds(30)));
  auto r = a->restore("pid3", seen.to_string());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->missed.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i)
    ASSERT_NE(text(*r->missed[i]).find("[\"news\"," + std::to_string(i + 1) + ","),
              std::string::npos)
        << i;
}

TEST_P(RecoveryLogContract, EngineDownRefusesAtOnceAndFallsBackThenRecovers) {
  // Declared before the node: its broker may still deliver while the node stops.
  sb::test::Collector<std::string> pubsub;
  auto a = node("nodeA");
  a->broker->subscribe(fallback_channel(),
                       [&](const Message& m, Ack ack) {
                         pubsub.add(m.payload);
                         ack.ok();
                       },
                       {});
  a->emit({"r1"}, 1);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId before = a->last();
  a->log->save(sio::SavedSession{"pid4", "sid4", "/", "", {"r1"}, 0});
  // Saved before the outage: the writer stored it before this entry.
  a->emit({"r1"}, 2);
  ASSERT_TRUE(wait_until([&] { return a->last() > before; }));
  const StreamId before_outage = a->last();
  server.reset();  // the engine goes away
  if (nats()) {
    // NATS sees it on its own; the Redis writer when a command fails.
    EXPECT_TRUE(wait_until([&] { return !a->ready(); }));
  }
  // Restores answer (not found) without waiting for the engine to come back.
  EXPECT_FALSE(a->restore("pid4", before.to_string()));
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
        return a->last() > before_outage;
      },
      std::chrono::seconds(20)));
  // JetStream kept its store: the session saved before the outage is still
  // there (this redis-server keeps nothing across a restart).
  if (nats()) {
    auto r = a->restore("pid4", before.to_string());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->session.sid, "sid4");
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, RecoveryLogContract, ::testing::Values("redis", "nats"),
                         [](const auto& info) { return info.param; });

// Only the NATS log from here on.
class RecoveryLogNats : public RecoveryLogContract {};

TEST(JetStreamName, OnlyLettersDigitsAndDashesStay) {
  EXPECT_EQ(jetstream_name("socket.io"), "socket_2Eio");
  EXPECT_EQ(jetstream_name("my-app_1"), "my-app_5F1");
  EXPECT_EQ(jetstream_name("a b*>/"), "a_20b_2A_3E_2F");
  EXPECT_NE(jetstream_name("a.b"), jetstream_name("a_b"));
}

TEST_P(RecoveryLogNats, PidsThatAreNoSubjectTokenAndTrimmedOffsetsAreNotRestored) {
  auto a = node("nodeA", 3);  // the log keeps 3 messages
  a->emit({"r1"}, 0);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId seen = a->last();
  for (const char* bad_pid : {"a.b", "a*", ">", "a b"}) {
    a->log->save(sio::SavedSession{bad_pid, "sid2", "/", "", {}, 0});
    EXPECT_FALSE(a->restore(bad_pid, seen.to_string())) << bad_pid;
  }
  a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
  auto r = a->restore("pid2", seen.to_string());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->missed.empty());
  EXPECT_EQ(r->upto, seen);
  // Trimmed: three more messages push the offset out of the log.
  for (int i = 1; i <= 3; ++i) a->emit({"r1"}, i);
  ASSERT_TRUE(wait_until([&] { return a->last().seq == seen.seq + 3; }));
  a->log->save(sio::SavedSession{"pid2", "sid2", "/", "", {}, 0});
  EXPECT_FALSE(a->restore("pid2", seen.to_string()));
}

TEST_P(RecoveryLogNats, WithoutJetStreamItSaysSoAndStepsAside) {
  server.reset();
  start_server(/*jetstream=*/false);
  Node a("nats", port, "nodeA");
  ASSERT_TRUE(wait_until([&] { return a.nats->unavailable(); }));
  EXPECT_EQ(a.unavailable.load(), 1);
  EXPECT_FALSE(a.ready());
  // Refused at once, never hung.
  EXPECT_FALSE(a.restore("pid5", "0-1"));
}

TEST_P(RecoveryLogNats, NatsStartedAfterTheNodeWithJetStreamIsUsedWithoutItIsLeft) {
  server.reset();
  {
    Node a("nats", port, "nodeA");  // NATS not there yet: not ready, refuses at once
    EXPECT_FALSE(a.ready());
    EXPECT_FALSE(a.restore("pid6", "0-1"));
    start_server(/*jetstream=*/true);
    ASSERT_TRUE(wait_until([&] { return a.ready(); }, std::chrono::seconds(20)));
    a.emit({}, 1);
    EXPECT_TRUE(wait_until([&] { return !a.last().empty(); }));
    EXPECT_EQ(a.unavailable.load(), 0);
  }
  server.reset();
  Node b("nats", port, "nodeB");
  start_server(/*jetstream=*/false);
  ASSERT_TRUE(wait_until([&] { return b.nats->unavailable(); }, std::chrono::seconds(20)));
  EXPECT_EQ(b.unavailable.load(), 1);
  EXPECT_FALSE(b.ready());
}

TEST_P(RecoveryLogNats, AServerThatStopsAnsweringCostsNoHangThenItIsUsedAgain) {
  // Declared before the node: its broker may still deliver while the node stops.
  sb::test::Collector<std::string> pubsub;
  auto a = node("nodeA");
  a->broker->subscribe("socket.io./.broadcast",
                       [&](const Message& m, Ack ack) {
                         pubsub.add(m.payload);
                         ack.ok();
                       },
                       {});
  a->emit({}, 1);
  ASSERT_TRUE(wait_until([&] { return !a->last().empty(); }));
  const StreamId before = a->last();
  server->pause();  // connected, but silent
  for (int i = 0; i < 50; ++i) a->emit({}, 100 + i);
  // Every one is still delivered (without an offset, and over pub/sub).
  EXPECT_TRUE(pubsub.wait_for_size(50, std::chrono::seconds(60)))
      << pubsub.size() << " of 50 over pub/sub; last offset delivered " << a->last().to_string();
  EXPECT_FALSE(a->restore("nobody", before.to_string()));  // answered, not hung
  server->resume();
  ASSERT_TRUE(wait_until(
      [&] {
        a->emit({}, 2);
        return a->last() > before;
      },
      std::chrono::seconds(30)));
}

TEST_P(RecoveryLogNats, AServerThatLostItsStoreGetsTheStreamsAgain) {
  auto a = node("nodeA");
  for (int i = 1; i <= 5; ++i) a->emit({}, i);
  ASSERT_TRUE(wait_until([&] { return a->last().seq == 5; }));
  server.reset();
  std::filesystem::remove_all(dir);  // the JetStream store is gone
  std::filesystem::create_directories(dir);
  start_server();
  // The streams are made again and read from their new start.
  ASSERT_TRUE(wait_until(
      [&] {
        a->emit({"r1"}, 6);
        // An entry of the new stream delivered, and held in the node's ring (the
        // reader adds it there and posts the delivery: either may come first).
        const auto h = a->log->recent({}, kAll);
        return a->last() != StreamId{0, 5} && h && !h->empty();
      },
      std::chrono::seconds(30)));
  // Its sequence started over: what this node holds now begins at 1.
  const auto held = a->log->recent({}, kAll);
  ASSERT_TRUE(held && !held->empty());
  EXPECT_EQ(held->front()->stream_id, (StreamId{0, 1}));
  const StreamId seen = a->last();
  a->log->save(sio::SavedSession{"pid7", "sid7", "/", "", {"r1"}, 0});
  a->emit({"r1"}, 7);
  ASSERT_TRUE(wait_until([&] { return a->last() > seen; }));
  auto r = a->restore("pid7", seen.to_string());
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->missed.empty());
  EXPECT_NE(text(*r->missed.back()).find("[\"news\",7,"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Nats, RecoveryLogNats, ::testing::Values("nats"),
                         [](const auto& info) { return info.param; });
