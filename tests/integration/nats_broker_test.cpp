// NatsBroker against a real nats-server started on a free loopback port.
#include "gateways/inter_service/nats_broker.hpp"

#include <gtest/gtest.h>

#include <csignal>
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

class NatsBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sb::test::find_program("nats-server").empty())
      GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
    port = sb::test::free_tcp_port();
    start_server();
    worker.start();
  }
  void TearDown() override {
    brokers.clear();
    server.reset();
  }

  void start_server() {
    server = std::make_unique<ChildProcess>(
        "nats-server", std::vector<std::string>{"-a", "127.0.0.1", "-p", std::to_string(port)});
    ASSERT_TRUE(sb::test::wait_for_port(port));
  }

  NatsBrokerOptions options() {
    NatsBrokerOptions o;
    o.servers = {"nats://127.0.0.1:" + std::to_string(port)};
    o.reconnect = {20, 200, 2.0, 0.2};
    o.connect_timeout_ms = 1000;
    return o;
  }

  NatsBroker& make(const std::string& name, NatsBrokerOptions o) {
    brokers.push_back(std::make_unique<NatsBroker>(name, worker, std::move(o)));
    return *brokers.back();
  }

  static bool wait_state(const Broker& b, BrokerState s) {
    return wait_until([&] { return b.health().state == s; });
  }

  int port = 0;
  std::unique_ptr<ChildProcess> server;
  sb::net::Worker worker{0};
  std::vector<std::unique_ptr<NatsBroker>> brokers;
};

Message nats_msg(std::string topic, std::string payload) {
  return Message{.topic = std::move(topic), .payload = std::move(payload)};
}

}  // namespace

TEST_F(NatsBrokerTest, PublishSubscribeWithWildcardsAndHeaders) {
  auto& b = make("nats", options());
  Collector<std::string> star, tail, exact;
  Collector<Message> full;
  b.subscribe("orders.*", [&](const Message& m, Ack) { star.add(m.topic + "=" + m.payload); }, {});
  b.subscribe("orders.>", [&](const Message& m, Ack) { tail.add(m.topic + "=" + m.payload); }, {});
  b.subscribe("orders.created",
              [&](const Message& m, Ack) {
                exact.add(m.topic + "=" + m.payload);
                full.add(m);
              },
              {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));

  Collector<Error> results;
  auto done = [&](const Error& e) { results.add(e); };
  Message with_headers = nats_msg("orders.created", "1");
  with_headers.headers = {{"trace-id", "abc"}, {"x-tenant", "t1"}};
  b.publish(with_headers, done);
  b.publish(nats_msg("orders.eu.created", "2"), done);
  b.publish(nats_msg("users.created", "3"), done);
  ASSERT_TRUE(results.wait_for_size(3));
  for (const auto& e : results.items()) EXPECT_FALSE(e) << e.to_string();
  ASSERT_TRUE(tail.wait_for_size(2));
  ASSERT_TRUE(exact.wait_for_size(1));
  ASSERT_TRUE(star.wait_for_size(1));
  const auto tail_items = tail.items();
  EXPECT_EQ(std::set<std::string>(tail_items.begin(), tail_items.end()),
            (std::set<std::string>{"orders.created=1", "orders.eu.created=2"}));
  EXPECT_EQ(star.items(), std::vector<std::string>{"orders.created=1"});
  EXPECT_EQ(exact.items(), std::vector<std::string>{"orders.created=1"});
  const Message m = full.items()[0];
  ASSERT_NE(m.header("trace-id"), nullptr);
  EXPECT_EQ(*m.header("trace-id"), "abc");
  EXPECT_EQ(*m.header("x-tenant"), "t1");
  EXPECT_TRUE(m.reply_to.empty());
}

TEST_F(NatsBrokerTest, QueueGroupDeliversEachMessageOnce) {
  auto& b = make("nats", options());
  Collector<int> got;
  b.subscribe("jobs.*", [&](const Message&, Ack) { got.add(1); }, {.queue_group = "workers"});
  b.subscribe("jobs.*", [&](const Message&, Ack) { got.add(2); }, {.queue_group = "workers"});
  Collector<int> marker;
  b.subscribe("marker", [&](const Message&, Ack) { marker.add(0); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  for (int i = 0; i < 20; ++i) b.publish(nats_msg("jobs.x", std::to_string(i)), {});
  b.publish(nats_msg("marker", ""), {});
  ASSERT_TRUE(marker.wait_for_size(1));
  ASSERT_TRUE(got.wait_for_size(20));
  // Both handlers share one queue subscription: each message is handled once.
  EXPECT_EQ(got.size(), 20u);
}

TEST_F(NatsBrokerTest, RequestReplyTimeoutAndNoResponders) {
  auto& service = make("service", options());
  auto& gateway = make("gateway", options());
  service.subscribe(
      "math.sum",
      [&](const Message& m, Ack) { service.reply(m, nats_msg("", "sum(" + m.payload + ")"), {}); },
      {});
  service.subscribe("math.slow", [](const Message&, Ack) {}, {});
  service.start();
  gateway.start();
  ASSERT_TRUE(wait_state(service, BrokerState::up));
  ASSERT_TRUE(wait_state(gateway, BrokerState::up));

  Collector<std::pair<Error, std::string>> r;
  gateway.request(nats_msg("math.sum", "1,2"), {.timeout_ms = 10000},
                  [&](const Error& e, Message m) {
                    r.add({e, m.payload});
                  });
  ASSERT_TRUE(r.wait_for_size(1));
  ASSERT_FALSE(r.items()[0].first) << r.items()[0].first.to_string();
  EXPECT_EQ(r.items()[0].second, "sum(1,2)");

  gateway.request(nats_msg("math.slow", "x"), {.timeout_ms = 200}, [&](const Error& e, Message m) {
    r.add({e, m.payload});
  });
  gateway.request(nats_msg("nobody.listens", "x"), {.timeout_ms = 10000},
                  [&](const Error& e, Message m) {
                    r.add({e, m.payload});
                  });
  ASSERT_TRUE(r.wait_for_size(3));
  std::set<Errc> codes{r.items()[1].first.code, r.items()[2].first.code};
  EXPECT_EQ(codes, (std::set<Errc>{Errc::timeout, Errc::no_responders}));
  EXPECT_EQ(gateway.counters().timeouts, 1u);
}

// The server dies and comes back on the same port: health goes down then up,
// cnats re-subscribes, and publishes made during the outage are delivered
// from the reconnect buffer.
TEST_F(NatsBrokerTest, ServerRestartReconnectsResubscribesAndDeliversBufferedPublishes) {
  auto& b = make("nats", options());
  Collector<std::string> got;
  b.subscribe("events.>", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  b.publish(nats_msg("events.a", "before"), {});
  ASSERT_TRUE(got.wait_for_size(1));

  server->kill(SIGKILL);
  ASSERT_TRUE(wait_state(b, BrokerState::down));

  Collector<Error> results;
  const size_t kDuringOutage = 5;
  for (size_t i = 0; i < kDuringOutage; ++i)
    b.publish(nats_msg("events.a", "outage-" + std::to_string(i)),
              [&](const Error& e) { results.add(e); });
  ASSERT_TRUE(results.wait_for_size(kDuringOutage));
  for (const auto& e : results.items()) EXPECT_FALSE(e) << e.to_string();  // buffered

  start_server();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  EXPECT_EQ(b.health().reconnects, 1u);
  ASSERT_TRUE(got.wait_for_size(1 + kDuringOutage));
  const auto items = got.items();
  std::set<std::string> delivered(items.begin() + 1, items.end());
  std::set<std::string> expected;
  for (size_t i = 0; i < kDuringOutage; ++i) expected.insert("outage-" + std::to_string(i));
  EXPECT_EQ(delivered, expected);
  b.publish(nats_msg("events.b", "after"), {});
  ASSERT_TRUE(got.wait_for_size(2 + kDuringOutage));
}

// With a small reconnect buffer, what does not fit is refused with an error;
// what was accepted is delivered after the restart.
TEST_F(NatsBrokerTest, OutageBeyondTheReconnectBufferIsRefusedNotLost) {
  auto o = options();
  o.reconnect_buffer_bytes = 200;
  auto& b = make("nats", o);
  Collector<std::string> got;
  b.subscribe("events.>", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  server->kill(SIGKILL);
  ASSERT_TRUE(wait_state(b, BrokerState::down));

  Collector<std::pair<int, Error>> results;
  const int kTotal = 10;
  for (int i = 0; i < kTotal; ++i)
    b.publish(nats_msg("events.a", std::to_string(i) + std::string(40, '.')),
              [&, i](const Error& e) {
                results.add({i, e});
              });
  ASSERT_TRUE(results.wait_for_size(kTotal));
  std::set<std::string> accepted;
  int refused = 0;
  for (const auto& [i, e] : results.items()) {
    if (!e) {
      accepted.insert(std::to_string(i) + std::string(40, '.'));
    } else {
      EXPECT_EQ(e.code, Errc::queue_full) << e.to_string();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(accepted.size(), 0u);

  start_server();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(got.wait_for_size(accepted.size()));
  // A marker proves nothing else is still on its way.
  b.publish(nats_msg("events.marker", "m"), {});
  ASSERT_TRUE(got.wait_for_size(accepted.size() + 1));
  auto items = got.items();
  items.pop_back();
  EXPECT_EQ(std::set<std::string>(items.begin(), items.end()), accepted);
  EXPECT_EQ(b.counters().refused, static_cast<uint64_t>(refused));
}

TEST_F(NatsBrokerTest, StartsWhileServerIsDownAndConnectsWhenItComesUp) {
  server->kill(SIGKILL);
  auto& b = make("nats", options());
  Collector<std::string> got;
  b.subscribe("late.*", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  Collector<Error> r;
  b.publish(nats_msg("late.x", "buffered"), [&](const Error& e) { r.add(e); });
  ASSERT_TRUE(r.wait_for_size(1));
  EXPECT_FALSE(r.items()[0]) << r.items()[0].to_string();
  start_server();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(got.wait_for_size(1));
  EXPECT_EQ(got.items()[0], "buffered");
  EXPECT_EQ(b.health().reconnects, 0u);
}

TEST_F(NatsBrokerTest, BadInputIsRefusedOrCountedAndNothingBreaks) {
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
  b.publish(nats_msg("in.x", std::string(65, 'x')), [&](const Error& e) { r.add(e); });
  b.publish(nats_msg("in.>", "wildcard"), [&](const Error& e) { r.add(e); });
  big.publish(nats_msg("in.x", std::string(2 << 20, 'z')), [&](const Error& e) { r.add(e); });
  ASSERT_TRUE(r.wait_for_size(3));
  EXPECT_EQ(r.items()[0].code, Errc::payload_too_large);
  EXPECT_EQ(r.items()[1].code, Errc::invalid_topic);
  EXPECT_EQ(r.items()[2].code, Errc::payload_too_large);  // over the limit of 1 MiB

  big.publish(nats_msg("in.x", std::string(1000, 'y')), {});  // over `small`'s limit
  big.publish(nats_msg("in.x", "fine"), {});
  ASSERT_TRUE(got.wait_for_size(1));
  EXPECT_EQ(got.items(), std::vector<std::string>{"fine"});
  EXPECT_EQ(b.counters().bad, 1u);
}
