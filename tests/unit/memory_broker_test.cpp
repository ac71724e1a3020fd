#include "gateways/inter_service/memory_broker.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "net/worker.hpp"
#include "support/wait.hpp"

using namespace sb::inter_service;
using sb::test::Collector;
using sb::test::wait_until;

namespace {

class MemoryBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    worker.start();
    broker = std::make_unique<MemoryBroker>("mem", worker, opts);
    broker->start();
    ASSERT_TRUE(wait_until([&] { return broker->health().state == BrokerState::up; }));
  }
  void TearDown() override { broker.reset(); }

  // Publishes and waits for the result.
  Error publish_sync(const std::string& topic, const std::string& payload) {
    Collector<Error> r;
    broker->publish({.topic = topic, .payload = payload}, [&](const Error& e) { r.add(e); });
    EXPECT_TRUE(r.wait_for_size(1));
    return r.items().at(0);
  }

  sb::net::Worker worker{0};
  MemoryBrokerOptions opts;
  std::unique_ptr<MemoryBroker> broker;
};

}  // namespace

TEST_F(MemoryBrokerTest, DeliversToMatchingPatternsOnTheWorker) {
  Collector<std::string> star, tail, exact;
  std::atomic<bool> on_worker{true};
  auto h = [&](Collector<std::string>& c) {
    return [&](const Message& m, Ack) {
      if (!worker.in_this_thread()) on_worker = false;
      c.add(m.topic + "=" + m.payload);
    };
  };
  broker->subscribe("orders.*", h(star), {});
  broker->subscribe("orders.>", h(tail), {});
  broker->subscribe("orders.created", h(exact), {});
  EXPECT_FALSE(publish_sync("orders.created", "1"));
  EXPECT_FALSE(publish_sync("orders.eu.created", "2"));
  EXPECT_FALSE(publish_sync("users.created", "3"));
  ASSERT_TRUE(tail.wait_for_size(2));
  ASSERT_TRUE(star.wait_for_size(1));
  ASSERT_TRUE(exact.wait_for_size(1));
  EXPECT_EQ(star.items(), std::vector<std::string>{"orders.created=1"});
  EXPECT_EQ(tail.items(), (std::vector<std::string>{"orders.created=1", "orders.eu.created=2"}));
  EXPECT_EQ(exact.items(), std::vector<std::string>{"orders.created=1"});
  EXPECT_TRUE(on_worker);
  const Counters c = broker->counters();
  EXPECT_EQ(c.published, 3u);
  EXPECT_EQ(c.received, 3u);
}

TEST_F(MemoryBrokerTest, UnsubscribeStopsDelivery) {
  Collector<std::string> got;
  const auto id = broker->subscribe("a.>", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  publish_sync("a.b", "1");
  ASSERT_TRUE(got.wait_for_size(1));
  broker->unsubscribe(id);
  publish_sync("a.b", "2");
  // A marker subscription proves later messages were processed.
  Collector<std::string> marker;
  broker->subscribe("z", [&](const Message& m, Ack) { marker.add(m.payload); }, {});
  publish_sync("z", "done");
  ASSERT_TRUE(marker.wait_for_size(1));
  EXPECT_EQ(got.items(), std::vector<std::string>{"1"});
}

TEST_F(MemoryBrokerTest, QueueGroupDeliversToOneMember) {
  Collector<int> got;
  broker->subscribe("jobs.*", [&](const Message&, Ack) { got.add(1); }, {.queue_group = "w"});
  broker->subscribe("jobs.*", [&](const Message&, Ack) { got.add(2); }, {.queue_group = "w"});
  for (int i = 0; i < 4; ++i) publish_sync("jobs.x", "p");
  ASSERT_TRUE(got.wait_for_size(4));
  auto v = got.items();
  EXPECT_EQ(std::count(v.begin(), v.end(), 1), 2);  // round robin
  EXPECT_EQ(std::count(v.begin(), v.end(), 2), 2);
}

TEST_F(MemoryBrokerTest, RequestReply) {
  broker->subscribe(
      "math.sum",
      [&](const Message& m, Ack) { broker->reply(m, {.payload = "sum of " + m.payload}, {}); }, {});
  Collector<std::pair<Error, std::string>> r;
  broker->request({.topic = "math.sum", .payload = "1,2"}, {.timeout_ms = 5000},
                  [&](const Error& e, Message reply) {
                    r.add({e, reply.payload});
                  });
  ASSERT_TRUE(r.wait_for_size(1));
  EXPECT_FALSE(r.items()[0].first) << r.items()[0].first.to_string();
  EXPECT_EQ(r.items()[0].second, "sum of 1,2");
}

TEST_F(MemoryBrokerTest, RequestTimesOutAndNoResponders) {
  broker->subscribe("slow", [](const Message&, Ack) { /* never replies */ }, {});
  Collector<Error> r;
  broker->request({.topic = "slow", .payload = "x"}, {.timeout_ms = 50},
                  [&](const Error& e, Message) { r.add(e); });
  broker->request({.topic = "nobody.home", .payload = "x"}, {.timeout_ms = 5000},
                  [&](const Error& e, Message) { r.add(e); });
  ASSERT_TRUE(r.wait_for_size(2));
  std::set<Errc> codes;
  for (const auto& e : r.items()) codes.insert(e.code);
  EXPECT_EQ(codes, (std::set<Errc>{Errc::timeout, Errc::no_responders}));
  EXPECT_EQ(broker->counters().timeouts, 1u);
}

TEST_F(MemoryBrokerTest, RefusesBadOutgoingWithClearErrors) {
  broker.reset();
  opts.limits.max_payload_bytes = 16;
  broker = std::make_unique<MemoryBroker>("mem", worker, opts);
  broker->start();
  EXPECT_EQ(publish_sync("a", std::string(17, 'x')).code, Errc::payload_too_large);
  EXPECT_EQ(publish_sync("a.*", "x").code, Errc::invalid_topic);
  EXPECT_EQ(publish_sync("", "x").code, Errc::invalid_topic);
  EXPECT_FALSE(publish_sync("a", std::string(16, 'x')));
  EXPECT_EQ(broker->counters().refused, 3u);
  EXPECT_THROW(broker->subscribe("a.>.b", [](const Message&, Ack) {}, {}), std::invalid_argument);
}

TEST_F(MemoryBrokerTest, HandlerOutcomesAreCounted) {
  Collector<int> done;
  broker->subscribe("t.bad",
                    [&](const Message&, Ack ack) {
                      ack.bad("not json");
                      done.add(1);
                    },
                    {});
  broker->subscribe("t.throw",
                    [&](const Message&, Ack) {
                      done.add(2);
                      throw std::runtime_error("boom");
                    },
                    {});
  broker->subscribe("t.async",
                    [&](const Message&, Ack ack) {
                      // Ack later from another thread.
                      std::thread([a = std::move(ack), &done]() mutable {
                        a.fail("downstream unavailable");
                        done.add(3);
                      }).detach();
                    },
                    {});
  publish_sync("t.bad", "x");
  publish_sync("t.throw", "x");
  publish_sync("t.async", "x");
  ASSERT_TRUE(done.wait_for_size(3));
  ASSERT_TRUE(wait_until([&] { return broker->counters().failed == 2; }));
  EXPECT_EQ(broker->counters().bad, 1u);
}

TEST_F(MemoryBrokerTest, StopCompletesPendingRequestsAndRefusesLater) {
  broker->subscribe("slow", [](const Message&, Ack) {}, {});
  Collector<Error> r;
  broker->request({.topic = "slow", .payload = "x"}, {.timeout_ms = 60000},
                  [&](const Error& e, Message) { r.add(e); });
  ASSERT_TRUE(wait_until([&] { return broker->counters().published == 1; }));
  broker->stop();
  ASSERT_EQ(r.size(), 1u);  // ran inside stop()
  EXPECT_EQ(r.items()[0].code, Errc::stopped);
  EXPECT_EQ(broker->health().state, BrokerState::stopped);
  EXPECT_EQ(publish_sync("a", "x").code, Errc::stopped);
}
