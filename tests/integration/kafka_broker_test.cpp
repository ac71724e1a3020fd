// KafkaBroker against librdkafka's mock cluster: real Kafka protocol over
// loopback TCP, in process (no Kafka server is packaged for Debian).
#include "gateways/inter_service/kafka_broker.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "net/worker.hpp"
#include "support/wait.hpp"

using namespace sb::inter_service;
using sb::test::Collector;
using sb::test::wait_until;

namespace {

class KafkaBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_NE(host, nullptr) << err;
    cluster = rd_kafka_mock_cluster_new(host, 1);
    ASSERT_NE(cluster, nullptr);
    bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    worker.start();
  }
  void TearDown() override {
    brokers.clear();
    if (cluster) rd_kafka_mock_cluster_destroy(cluster);
    if (host) rd_kafka_destroy(host);
    worker.stop();
    worker.join();
  }

  void topic(const std::string& name, int partitions = 1) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  KafkaBrokerOptions options(std::string group = "g") {
    KafkaBrokerOptions o;
    o.brokers = bootstrap;
    o.group_id = std::move(group);
    o.auto_offset_reset = "earliest";
    o.commit_interval_ms = 100;
    o.health_interval_ms = 200;
    o.retry = {50, 200, 2.0, 0.2};
    o.stop_timeout_ms = 3000;
    o.properties = {{"reconnect.backoff.ms", "20"},
                    {"reconnect.backoff.max.ms", "200"},
                    {"topic.metadata.refresh.interval.ms", "500"}};
    o.consumer_properties = {{"heartbeat.interval.ms", "200"},
                             {"session.timeout.ms", "6000"},
                             {"fetch.wait.max.ms", "50"}};
    o.producer_properties = {{"linger.ms", "1"}};
    if (const char* d = std::getenv("SB_KAFKA_DEBUG")) o.properties["debug"] = d;  // e.g. cgrp
    return o;
  }

  KafkaBroker& make(const std::string& name, KafkaBrokerOptions o) {
    brokers.push_back(std::make_unique<KafkaBroker>(name, worker, std::move(o)));
    return *brokers.back();
  }

  static bool wait_state(const Broker& b, BrokerState s) {
    return wait_until([&] { return b.health().state == s; }, std::chrono::seconds(20));
  }
  static bool wait_assigned(const KafkaBroker& b, size_t n = 1) {
    return wait_until([&] { return b.assigned_partitions() >= n; }, std::chrono::seconds(20));
  }

  // The committed offset of `group` on topic[partition], read with a fresh
  // client (-1001 when none).
  int64_t committed(const std::string& group, const std::string& t, int32_t partition = 0) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t.c_str(), partition);
    int64_t off = -2;
    if (rd_kafka_committed(rk, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return off;
  }

  rd_kafka_t* host = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
  sb::net::Worker worker{0};
  std::vector<std::unique_ptr<KafkaBroker>> brokers;
};

Message msg(std::string topic, std::string payload) {
  return Message{.topic = std::move(topic), .payload = std::move(payload)};
}

}  // namespace

TEST_F(KafkaBrokerTest, PublishSubscribeByTopicAndPattern) {
  topic("orders.created");
  topic("orders.eu.created");
  topic("users.created");
  auto& b = make("kafka", options());
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
  Message with_headers = msg("orders.created", "1");
  with_headers.headers = {{"trace-id", "abc"}, {"x-tenant", "t1"}};
  with_headers.key = "k1";
  b.publish(with_headers, done);
  b.publish(msg("orders.eu.created", "2"), done);
  b.publish(msg("users.created", "3"), done);
  ASSERT_TRUE(results.wait_for_size(3));
  for (const auto& e : results.items()) EXPECT_FALSE(e) << e.to_string();
  EXPECT_EQ(b.counters().published, 3u);

  ASSERT_TRUE(tail.wait_for_size(2, std::chrono::seconds(20)));
  ASSERT_TRUE(exact.wait_for_size(1));
  ASSERT_TRUE(star.wait_for_size(1));
  const auto tail_items = tail.items();
  EXPECT_EQ(std::set<std::string>(tail_items.begin(), tail_items.end()),
            (std::set<std::string>{"orders.created=1", "orders.eu.created=2"}));
  EXPECT_EQ(star.items(), std::vector<std::string>{"orders.created=1"});
  const Message m = full.items()[0];
  ASSERT_NE(m.header("trace-id"), nullptr);
  EXPECT_EQ(*m.header("trace-id"), "abc");
  EXPECT_EQ(*m.header("x-tenant"), "t1");
  EXPECT_EQ(m.key, "k1");
  EXPECT_EQ(m.partition, 0);
  EXPECT_EQ(m.offset, 0);
  EXPECT_TRUE(m.reply_to.empty());
}

// Two members of one group split the partitions: each message is handled once.
TEST_F(KafkaBrokerTest, ConsumerGroupDeliversEachMessageOnce) {
  topic("jobs", 4);
  auto& a = make("a", options("workers"));
  auto& b = make("b", options("workers"));
  std::mutex mu;
  std::multiset<std::string> seen;
  Collector<int> count;
  auto handler = [&](int who) {
    return [&, who](const Message& m, Ack) {
      {
        std::lock_guard lock(mu);
        seen.insert(m.payload);
      }
      count.add(who);
    };
  };
  a.subscribe("jobs", handler(1), {});
  b.subscribe("jobs", handler(2), {});
  a.start();
  b.start();
  ASSERT_TRUE(wait_until(
      [&] {
        return a.assigned_partitions() > 0 && b.assigned_partitions() > 0 &&
               a.assigned_partitions() + b.assigned_partitions() == 4;
      },
      std::chrono::seconds(30)));
  const int kCount = 40;
  for (int i = 0; i < kCount; ++i) {
    Message m = msg("jobs", std::to_string(i));
    m.key = "key-" + std::to_string(i);  // spread over the partitions
    a.publish(std::move(m), {});
  }
  ASSERT_TRUE(count.wait_for_size(kCount, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // no duplicates trickle in
  EXPECT_EQ(count.size(), static_cast<size_t>(kCount));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
  const auto who = count.items();
  EXPECT_TRUE(std::count(who.begin(), who.end(), 1) > 0 &&
              std::count(who.begin(), who.end(), 2) > 0);
}

// Offsets are committed only for what the handlers finished, in order: a
// failed message is redelivered, a pending one holds the commit position, and
// a restarted member of the group resumes there.
TEST_F(KafkaBrokerTest, OffsetCommittedOnlyAfterAckFailedIsRedeliveredRestartResumes) {
  topic("tasks");
  auto& a = make("a", options("g-tasks"));
  Collector<std::string> got;
  std::mutex mu;
  std::vector<Ack> held;
  bool failed_once = false;
  a.subscribe("tasks",
              [&](const Message& m, Ack ack) {
                got.add(m.payload);
                if (m.payload == "2" && !failed_once) {
                  failed_once = true;
                  ack.fail("try again");
                } else if (m.payload == "3") {
                  std::lock_guard lock(mu);
                  held.push_back(std::move(ack));  // never finished by this member
                }
              },
              {});
  a.start();
  ASSERT_TRUE(wait_state(a, BrokerState::up));
  for (int i = 0; i < 5; ++i) a.publish(msg("tasks", std::to_string(i)), {});
  // 0 1 2 3 4, then 2 again after the backoff.
  ASSERT_TRUE(got.wait_for_size(6, std::chrono::seconds(20)));
  auto items = got.items();
  EXPECT_EQ(std::count(items.begin(), items.end(), "2"), 2);
  EXPECT_EQ(a.counters().failed, 1u);
  // 4 is done but 3 is pending: the position stays at 3.
  ASSERT_TRUE(wait_until([&] { return committed("g-tasks", "tasks") == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(committed("g-tasks", "tasks"), 3);

  a.stop();
  {
    std::lock_guard lock(mu);
    held.clear();  // acks after stop() are ignored
  }
  EXPECT_EQ(committed("g-tasks", "tasks"), 3);

  auto& b = make("b", options("g-tasks"));
  Collector<std::string> got_b;
  b.subscribe("tasks", [&](const Message& m, Ack) { got_b.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(got_b.wait_for_size(2, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(got_b.items(), (std::vector<std::string>{"3", "4"}));
  ASSERT_TRUE(wait_until([&] { return committed("g-tasks", "tasks") == 5; }));
}

// `received` counts messages, not handler runs: neither our retry of a
// failed message nor Kafka's redelivery after a rebalance (the partition
// comes back from its commit position, behind a pending message) counts again.
TEST_F(KafkaBrokerTest, RetriesAndRedeliveriesAreNotCountedAsReceivedAgain) {
  topic("redo");
  topic("redo.other");
  auto& a = make("a", options("g-redo"));
  Collector<std::string> got;
  std::mutex mu;
  std::vector<Ack> held;
  bool failed_once = false;
  a.subscribe("redo",
              [&](const Message& m, Ack ack) {
                got.add(m.payload);
                if (m.payload == "1" && !failed_once) {
                  failed_once = true;
                  ack.fail("try again");
                } else if (m.payload == "2") {
                  std::lock_guard lock(mu);
                  held.push_back(std::move(ack));  // holds the commit position at 2
                }
              },
              {});
  a.start();
  ASSERT_TRUE(wait_state(a, BrokerState::up));
  for (int i = 0; i < 4; ++i) a.publish(msg("redo", std::to_string(i)), {});
  // 0 1 2 3, then 1 again after the backoff.
  ASSERT_TRUE(got.wait_for_size(5, std::chrono::seconds(20)));
  ASSERT_TRUE(wait_until([&] { return committed("g-redo", "redo") == 2; }));
  EXPECT_EQ(a.counters().failed, 1u);
  EXPECT_EQ(a.counters().received, 4u);

  // A new subscription makes the member rejoin: the eager protocol revokes
  // redo[0] and assigns it again, and consumption resumes at 2.
  a.subscribe("redo.other", [](const Message&, Ack) {}, {});
  ASSERT_TRUE(got.wait_for_size(7, std::chrono::seconds(30)));
  const auto items = got.items();
  EXPECT_EQ(std::count(items.begin(), items.end(), "2"), 2);
  EXPECT_EQ(std::count(items.begin(), items.end(), "3"), 2);
  EXPECT_EQ(a.counters().received, 4u);

  // A message after the redelivery is new again.
  a.publish(msg("redo", "4"), {});
  ASSERT_TRUE(got.wait_for_size(8, std::chrono::seconds(20)));
  EXPECT_EQ(a.counters().received, 5u);
  a.stop();
  std::lock_guard lock(mu);
  held.clear();
}

TEST_F(KafkaBrokerTest, RequestReplyNestStyleAndTimeout) {
  topic("math.sum");
  topic("math.sum.reply");
  topic("math.slow");
  topic("math.slow.reply");
  auto& service = make("service", options("service"));
  auto& gateway = make("gateway", options("gateway"));
  Collector<Message> requests;
  service.subscribe("math.sum",
                    [&](const Message& m, Ack) {
                      requests.add(m);
                      service.reply(m, msg("", "sum(" + m.payload + ")"), {});
                    },
                    {});
  service.subscribe("math.slow", [](const Message&, Ack) {}, {});
  service.start();
  gateway.start();
  ASSERT_TRUE(wait_state(service, BrokerState::up));
  ASSERT_TRUE(wait_state(gateway, BrokerState::up));

  Collector<std::pair<Error, Message>> r;
  gateway.request(msg("math.sum", "1,2"), {.timeout_ms = 20000}, [&](const Error& e, Message m) {
    r.add({e, std::move(m)});
  });
  ASSERT_TRUE(r.wait_for_size(1, std::chrono::seconds(25)));
  ASSERT_FALSE(r.items()[0].first) << r.items()[0].first.to_string();
  const Message reply = r.items()[0].second;
  EXPECT_EQ(reply.payload, "sum(1,2)");
  EXPECT_EQ(reply.topic, "math.sum.reply");
  ASSERT_NE(reply.header("kafka_nest-is-disposed"), nullptr);

  ASSERT_EQ(requests.size(), 1u);
  const Message req = requests.items()[0];
  EXPECT_EQ(req.reply_to, "math.sum.reply");
  ASSERT_NE(req.header("kafka_correlationId"), nullptr);
  EXPECT_EQ(*req.header("kafka_correlationId"), *reply.header("kafka_correlationId"));
  EXPECT_EQ(*req.header("kafka_replyTopic"), "math.sum.reply");
  EXPECT_EQ(*req.header("kafka_replyPartition"), "0");

  // A second request reuses the reply partition already assigned.
  gateway.request(msg("math.sum", "3,4"), {.timeout_ms = 20000}, [&](const Error& e, Message m) {
    r.add({e, std::move(m)});
  });
  gateway.request(msg("math.slow", "x"), {.timeout_ms = 300}, [&](const Error& e, Message m) {
    r.add({e, std::move(m)});
  });
  ASSERT_TRUE(r.wait_for_size(3, std::chrono::seconds(25)));
  std::set<std::string> outcomes;
  for (size_t i = 1; i < 3; ++i)
    outcomes.insert(r.items()[i].first ? r.items()[i].first.to_string().substr(0, 7)
                                       : r.items()[i].second.payload);
  EXPECT_EQ(outcomes, (std::set<std::string>{"sum(3,4)", "timeout"}));
  EXPECT_EQ(gateway.counters().timeouts, 1u);
}

TEST_F(KafkaBrokerTest, BadInputIsRefusedOrCountedAndCommitted) {
  topic("in.x");
  auto small = options("small");
  small.limits.max_payload_bytes = 64;
  auto& b = make("small", small);
  auto& big = make("big", options("big"));
  Collector<std::string> got;
  b.subscribe("in.*", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  big.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(wait_state(big, BrokerState::up));

  Collector<Error> r;
  b.publish(msg("in.x", std::string(65, 'x')), [&](const Error& e) { r.add(e); });
  b.publish(msg("in.>", "wildcard"), [&](const Error& e) { r.add(e); });
  b.publish(msg("in/x", "slash"), [&](const Error& e) { r.add(e); });
  big.publish(msg("in.x", std::string(2 << 20, 'z')), [&](const Error& e) { r.add(e); });
  ASSERT_TRUE(r.wait_for_size(4));
  EXPECT_EQ(r.items()[0].code, Errc::payload_too_large);
  EXPECT_EQ(r.items()[1].code, Errc::invalid_topic);
  EXPECT_EQ(r.items()[2].code, Errc::invalid_topic);
  EXPECT_EQ(r.items()[3].code, Errc::payload_too_large);
  EXPECT_EQ(b.counters().refused, 3u);

  big.publish(msg("in.x", std::string(1000, 'y')), {});  // over `small`'s limit
  big.publish(msg("in.x", "fine"), {});
  ASSERT_TRUE(got.wait_for_size(1, std::chrono::seconds(20)));
  EXPECT_EQ(got.items(), std::vector<std::string>{"fine"});
  EXPECT_EQ(b.counters().bad, 1u);
  // The oversized message is never retried: its offset is committed too.
  ASSERT_TRUE(wait_until([&] { return committed("small", "in.x") == 2; }));
}

// stop() runs every pending publish and request callback before it returns;
// a publish after stop() is refused with `stopped`.
TEST_F(KafkaBrokerTest, StopRunsPendingCallbacksOnceAndNothingAfter) {
  topic("busy");
  topic("busy.reply");
  auto& b = make("kafka", options());
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  std::atomic<int> publishes{0}, requests{0};
  const int kPublishes = 200;
  for (int i = 0; i < kPublishes; ++i)
    b.publish(msg("busy", std::to_string(i)), [&](const Error&) { ++publishes; });
  Error request_error;
  b.request(msg("busy", "q"), {.timeout_ms = 60000}, [&](const Error& e, Message) {
    request_error = e;
    ++requests;
  });
  b.stop();
  EXPECT_EQ(publishes.load(), kPublishes);
  EXPECT_EQ(requests.load(), 1);
  EXPECT_EQ(request_error.code, Errc::stopped);
  EXPECT_EQ(b.health().state, BrokerState::stopped);

  Collector<Error> after;
  b.publish(msg("busy", "late"), [&](const Error& e) { after.add(e); });
  ASSERT_TRUE(after.wait_for_size(1));
  EXPECT_EQ(after.items()[0].code, Errc::stopped);
  EXPECT_EQ(publishes.load(), kPublishes);
}

// The mock broker goes down: health goes down, publishes wait in librdkafka's
// queue; it comes back: health goes up and everything is delivered.
TEST_F(KafkaBrokerTest, BrokerOutageHealthDownThenUpAndDeliveryResumes) {
  topic("events");
  auto& b = make("kafka", options());
  Collector<std::string> got;
  b.subscribe("events", [&](const Message& m, Ack) { got.add(m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  b.publish(msg("events", "before"), {});
  ASSERT_TRUE(got.wait_for_size(1, std::chrono::seconds(20)));

  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster, -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  Collector<Error> results;
  for (int i = 0; i < 3; ++i)
    b.publish(msg("events", "outage-" + std::to_string(i)),
              [&](const Error& e) { results.add(e); });

  ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster, -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  EXPECT_GE(b.health().reconnects, 1u);
  ASSERT_TRUE(results.wait_for_size(3, std::chrono::seconds(20)));
  for (const auto& e : results.items()) EXPECT_FALSE(e) << e.to_string();
  ASSERT_TRUE(got.wait_for_size(4, std::chrono::seconds(20)));
  const auto items = got.items();
  EXPECT_EQ(std::set<std::string>(items.begin() + 1, items.end()),
            (std::set<std::string>{"outage-0", "outage-1", "outage-2"}));
}

// Acks finished later on another thread commit in order; a partition with too
// many unfinished messages is paused until they drain.
TEST_F(KafkaBrokerTest, LateAcksFromAnotherThreadCommitInOrderAndPausePartition) {
  topic("slow");
  auto o = options("g-slow");
  o.max_in_flight_per_partition = 4;
  auto& b = make("kafka", o);
  std::mutex mu;
  std::vector<Ack> held;
  Collector<std::string> got;
  b.subscribe("slow",
              [&](const Message& m, Ack ack) {
                std::lock_guard lock(mu);
                held.push_back(std::move(ack));
                got.add(m.payload);
              },
              {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  const int kCount = 12;
  for (int i = 0; i < kCount; ++i) b.publish(msg("slow", std::to_string(i)), {});
  ASSERT_TRUE(got.wait_for_size(4, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(got.size(), 4u);  // paused at 4 unfinished

  // Finish them from this thread, last first: nothing is committed before 0 is done.
  std::vector<Ack> acks;
  {
    std::lock_guard lock(mu);
    acks = std::move(held);
    held.clear();
  }
  for (size_t i = acks.size(); i-- > 1;) acks[i].ok();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_LT(committed("g-slow", "slow"), 1);
  acks[0].bad("no good");  // bad also commits
  ASSERT_TRUE(wait_until([&] { return committed("g-slow", "slow") == 4; }));

  // Resumed: the rest arrives, in order, once each.
  auto finish_all = [&] {
    std::lock_guard lock(mu);
    for (auto& a : held) a.ok();
    held.clear();
  };
  ASSERT_TRUE(wait_until(
      [&] {
        finish_all();
        return got.size() >= static_cast<size_t>(kCount);
      },
      std::chrono::seconds(20)));
  finish_all();
  std::vector<std::string> expected;
  for (int i = 0; i < kCount; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(got.items(), expected);
  ASSERT_TRUE(wait_until([&] { return committed("g-slow", "slow") == kCount; }));
  EXPECT_EQ(b.counters().bad, 1u);
}

TEST_F(KafkaBrokerTest, UnsubscribeStopsDelivery) {
  topic("a.one");
  topic("b.two");
  auto& b = make("kafka", options());
  Collector<std::string> got;
  const auto id =
      b.subscribe("a.*", [&](const Message& m, Ack) { got.add(m.topic + "=" + m.payload); }, {});
  b.subscribe("b.two", [&](const Message& m, Ack) { got.add(m.topic + "=" + m.payload); }, {});
  b.start();
  ASSERT_TRUE(wait_assigned(b, 2));
  b.publish(msg("a.one", "1"), {});
  ASSERT_TRUE(got.wait_for_size(1, std::chrono::seconds(20)));
  b.unsubscribe(id);
  ASSERT_TRUE(wait_until([&] { return b.assigned_partitions() == 1; }, std::chrono::seconds(20)));
  b.publish(msg("a.one", "2"), {});
  b.publish(msg("b.two", "3"), {});
  ASSERT_TRUE(got.wait_for_size(2, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(got.items(), (std::vector<std::string>{"a.one=1", "b.two=3"}));
}

// While the cluster is down, stop() still returns within its bound and every
// pending publish gets its callback.
TEST_F(KafkaBrokerTest, StopDuringOutageIsBoundedAndFailsPendingPublishes) {
  topic("events");
  auto o = options();
  o.stop_timeout_ms = 1000;
  auto& b = make("kafka", o);
  b.subscribe("events", [](const Message&, Ack) {}, {});
  b.start();
  ASSERT_TRUE(wait_state(b, BrokerState::up));
  ASSERT_TRUE(wait_assigned(b));
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster, -1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(wait_state(b, BrokerState::down));
  Collector<Error> results;
  for (int i = 0; i < 5; ++i)
    b.publish(msg("events", std::to_string(i)), [&](const Error& e) { results.add(e); });
  const auto t0 = std::chrono::steady_clock::now();
  b.stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& e : results.items()) EXPECT_EQ(e.code, Errc::stopped) << e.to_string();
}
