// RedisBroker against a real redis-server started on a free loopback port.
#include "gateways/inter_service/redis_broker.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <set>

#include "net/worker.hpp"
#include "support/child_process.hpp"
#include "support/wait.hpp"

using namespace sb::inter_service;
using sb::test::ChildProcess;
using sb::test::Collector;
using sb::test::wait_until;

namespace {

class RedisBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sb::test::find_program("redis-server").empty())
      GTEST_SKIP() << "redis-server is not installed (scripts/install-deps.sh)";
    port = sb::test::free_tcp_port();
    dir = std::filesystem::temp_directory_path() / ("sb-redis-" + std::to_string(port));
    std::filesystem::create_directories(dir);
    start_server();
    worker.start();
  }
  void TearDown() override {
    brokers.clear();
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

  RedisBrokerOptions options() {
    RedisBrokerOptions o;
    o.port = port;
    o.reconnect = {20, 200, 2.0, 0.2};
    o.connect_timeout_ms = 1000;
    return o;
  }

  RedisBroker& make(const std::string& name, RedisBrokerOptions o) {
    brokers.push_back(std::make_unique<RedisBroker>(name, worker, std::move(o)));
    return *brokers.back();
  }

  static bool wait_state(const Broker& b, BrokerState s) {
    return wait_until([&] { return b.health().state == s; });
  }

  int port = 0;
  std::filesystem::path dir;
  std::unique_ptr<ChildProcess> server;
  sb::net::Worker worker{0};
  std::vector<std::unique_ptr<RedisBroker>> brokers;
};

Message redis_msg(std::string topic, std::string payload) {
  return Message{.topic = std::move(topic), .payload = std::move(payload)};
}

}  // namespace

TEST_F(RedisBrokerTest, PublishSubscribeWithPatterns) {
  auto& b = make("redis", options());
  Collector<std::string> star, tail, exact;
  Collector<std::string> reply_to;
  b.subscribe("orders.*", [&](const Message& m, Ack) { star.add(m.topic + "=" + m.payload); }, {});
  b.subscribe("orders.>", [&](const Message& m, Ack) { tail.add(m.topic + "=" + m.payload); }, {});
  b.subscribe("orders.created",
              [&](const Message& m, Ack) {
                exact.add(m.topic + "=" + m.payload);
                reply_to.add(m.reply_to);
              },
              {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));

  Collector<Error> results;
  auto done = [&](const Error& e) { results.add(e); };
  b.publish(redis_msg("orders.created", "1"), done);
  b.publish(redis_msg("orders.eu.created", "2"),
            done);  // the glob orders.* matches it; '*' must not
  b.publish(redis_msg("users.created", "3"), done);
  ASSERT_TRUE(results.wait_for_size(3));
  for (const auto& e : results.items()) EXPECT_FALSE(e) << e.to_string();
  ASSERT_TRUE(tail.wait_for_size(2));
  ASSERT_TRUE(exact.wait_for_size(1));
  ASSERT_TRUE(star.wait_for_size(1));
  EXPECT_EQ(tail.items(), (std::vector<std::string>{"orders.created=1", "orders.eu.created=2"}));
  EXPECT_EQ(star.items(), std::vector<std::string>{"orders.created=1"});
  EXPECT_EQ(exact.items(), std::vector<std::string>{"orders.created=1"});
  EXPECT_EQ(reply_to.items(), std::vector<std::string>{"orders.created.reply"});
  EXPECT_EQ(b.counters().published, 3u);
}

TEST_F(RedisBrokerTest, UnsubscribeStopsDelivery) {
  auto& b = make("redis", options());
  Collector<std::string> got, marker;
  const auto id = b.subscribe("a.*", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.subscribe("marker", [&](const Message& m, Ack) { marker.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  b.publish(redis_msg("a.b", "1"), {});
  ASSERT_TRUE(got.wait_for_size(1));
  b.unsubscribe(id);
  b.publish(redis_msg("a.b", "2"), {});
  b.publish(redis_msg("marker", "m"), {});
  ASSERT_TRUE(marker.wait_for_size(1));
  EXPECT_EQ(got.items(), std::vector<std::string>{"1"});
}

TEST_F(RedisBrokerTest, RequestReplyNestJsConventionAndTimeout) {
  auto& service = make("service", options());
  auto& gateway = make("gateway", options());
  // A NestJS-style service: replies {id, response, isDisposed} on <pattern>.reply.
  service.subscribe(
      "math.sum",
      [&](const Message& m, Ack) {
        const std::string id = json_id_of(m.payload);
        service.reply(m, redis_msg("", R"({"id":")" + id + R"(","response":3,"isDisposed":true})"),
                      {});
      },
      {});
  service.subscribe("math.slow", [](const Message&, Ack) { /* never answers */ }, {});
  service.start();
  gateway.start();
  ASSERT_TRUE(wait_state(service, BrokerState::up));
  ASSERT_TRUE(wait_state(gateway, BrokerState::up));

  Collector<std::pair<Error, Message>> r;
  gateway.request(redis_msg("math.sum", R"({"pattern":"math.sum","data":[1,2],"id":"req-1"})"),
                  {.timeout_ms = 10000}, [&](const Error& e, Message m) {
                    r.add({e, m});
                  });
  ASSERT_TRUE(r.wait_for_size(1));
  ASSERT_FALSE(r.items()[0].first) << r.items()[0].first.to_string();
  EXPECT_EQ(r.items()[0].second.topic, "math.sum.reply");
  EXPECT_EQ(r.items()[0].second.payload, R"({"id":"req-1","response":3,"isDisposed":true})");

  gateway.request(redis_msg("math.slow", R"({"pattern":"math.slow","data":1,"id":"req-2"})"),
                  {.timeout_ms = 200}, [&](const Error& e, Message m) {
                    r.add({e, m});
                  });
  gateway.request(redis_msg("math.sum", R"({"pattern":"math.sum","data":1})"),
                  {.timeout_ms = 10000}, [&](const Error& e, Message m) {
                    r.add({e, m});
                  });
  ASSERT_TRUE(r.wait_for_size(3));
  std::set<Errc> codes{r.items()[1].first.code, r.items()[2].first.code};
  EXPECT_EQ(codes, (std::set<Errc>{Errc::timeout, Errc::no_correlation_id}));
  EXPECT_EQ(gateway.counters().timeouts, 1u);
}

// The server dies and comes back on the same port: health goes down then up,
// subscriptions are restored, and every publish made during the outage is
// either delivered after the reconnection or refused with an error.
TEST_F(RedisBrokerTest, ServerRestartReconnectsResubscribesAndAccountsForEveryPublish) {
  auto o = options();
  o.max_queued_publishes = 3;
  auto& b = make("redis", o);
  Collector<std::string> got;
  b.subscribe("events.>", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  b.publish(redis_msg("events.a", "before"), {});
  ASSERT_TRUE(got.wait_for_size(1));

  server->kill(SIGKILL);
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  EXPECT_FALSE(b.health().last_error.empty());

  Collector<std::pair<int, Error>> results;
  const int kDuringOutage = 5;
  for (int i = 0; i < kDuringOutage; ++i)
    b.publish(redis_msg("events.a", "outage-" + std::to_string(i)), [&, i](const Error& e) {
      results.add({i, e});
    });
  // Beyond the bound of 3: refused right away, while still down.
  ASSERT_TRUE(results.wait_for_size(2));
  for (const auto& [i, e] : results.items()) EXPECT_EQ(e.code, Errc::queue_full) << i;

  start_server();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  EXPECT_EQ(b.health().reconnects, 1u);
  ASSERT_TRUE(results.wait_for_size(kDuringOutage));
  std::set<std::string> accepted;
  int refused = 0;
  for (const auto& [i, e] : results.items()) {
    if (e)
      ++refused;
    else
      accepted.insert("outage-" + std::to_string(i));
  }
  EXPECT_EQ(accepted.size(), 3u);
  EXPECT_EQ(refused, 2);
  // Every accepted one arrives (the subscription was restored); none went missing.
  ASSERT_TRUE(got.wait_for_size(1 + accepted.size()));
  auto items = got.items();
  std::set<std::string> delivered(items.begin() + 1, items.end());
  EXPECT_EQ(delivered, accepted);
  // And it keeps working.
  b.publish(redis_msg("events.b", "after"), {});
  ASSERT_TRUE(got.wait_for_size(2 + accepted.size()));
  EXPECT_EQ(got.items().back(), "after");
  EXPECT_EQ(b.counters().refused, 2u);
}

TEST_F(RedisBrokerTest, StartsWhileServerIsDownAndConnectsWhenItComesUp) {
  server->kill(SIGKILL);
  auto& b = make("redis", options());
  Collector<std::string> got;
  b.subscribe("late.*", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  Collector<Error> r;
  b.publish(redis_msg("late.x", "queued"), [&](const Error& e) { r.add(e); });
  start_server();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(r.wait_for_size(1));
  EXPECT_FALSE(r.items()[0]);
  ASSERT_TRUE(got.wait_for_size(1));
  EXPECT_EQ(got.items()[0], "queued");
  EXPECT_EQ(b.health().reconnects, 0u);  // first connection, not a reconnection
}

TEST_F(RedisBrokerTest, BadInputIsRefusedOrCountedAndNothingBreaks) {
  auto small = options();
  small.limits.max_payload_bytes = 64;
  auto& b = make("small", small);
  auto& big = make("big", options());
  Collector<std::string> got;
  b.subscribe("in.*", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  big.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(wait_state(big, BrokerState::up));

  Collector<Error> r;
  b.publish(redis_msg("in.x", std::string(65, 'x')), [&](const Error& e) { r.add(e); });
  b.publish(redis_msg("in.*", "wildcard"), [&](const Error& e) { r.add(e); });
  ASSERT_TRUE(r.wait_for_size(2));
  EXPECT_EQ(r.items()[0].code, Errc::payload_too_large);
  EXPECT_EQ(r.items()[1].code, Errc::invalid_topic);

  // Incoming: an oversized message from another node is counted, not delivered.
  big.publish(redis_msg("in.x", std::string(1000, 'y')), {});
  big.publish(redis_msg("in.x", "fine"), {});
  ASSERT_TRUE(got.wait_for_size(1));
  EXPECT_EQ(got.items(), std::vector<std::string>{"fine"});
  EXPECT_EQ(b.counters().bad, 1u);
  EXPECT_EQ(b.counters().refused, 2u);
}

TEST_F(RedisBrokerTest, StopRefusesQueuedPublishes) {
  server->kill(SIGKILL);
  auto& b = make("redis", options());
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  Collector<Error> r;
  b.publish(redis_msg("x", "1"), [&](const Error& e) { r.add(e); });
  b.publish(redis_msg("x", "2"), [&](const Error& e) { r.add(e); });
  b.stop();
  ASSERT_EQ(r.size(), 2u);  // completed inside stop()
  for (const auto& e : r.items()) EXPECT_EQ(e.code, Errc::stopped);
  EXPECT_EQ(b.health().state, BrokerState::stopped);
}
