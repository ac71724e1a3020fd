#include "gateways/intra_service/event_bus.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "net/worker.hpp"

using namespace sb::intra;

TEST(EventBus, DeliversByNameAndWildcard) {
  EventBus bus;
  std::vector<std::string> got;
  bus.on("inbox.stored", [&](const BusEvent& e) { got.push_back("exact " + e.name); });
  bus.on("inbox.*", [&](const BusEvent& e) { got.push_back("star " + e.name); });
  bus.on("inbox.**", [&](const BusEvent& e) { got.push_back("deep " + e.name); });
  EXPECT_EQ(bus.emit("inbox.stored", 1), 3u);
  EXPECT_EQ(bus.emit("inbox.a.b"), 1u);
  EXPECT_EQ(bus.emit("other"), 0u);
  EXPECT_EQ(got, (std::vector<std::string>{"exact inbox.stored", "star inbox.stored",
                                           "deep inbox.stored", "deep inbox.a.b"}));
  EXPECT_EQ(bus.counters().emitted.load(), 3u);
  EXPECT_EQ(bus.counters().unhandled.load(), 1u);
}

TEST(EventBus, PassesThePayload) {
  EventBus bus;
  int64_t seen = 0;
  bus.on("n", [&](const BusEvent& e) { seen = e.payload.as_object().at("v").as_int64(); });
  bus.emit("n", boost::json::object{{"v", 7}});
  EXPECT_EQ(seen, 7);
}

TEST(EventBus, AThrowingHandlerIsCountedAndOthersStillRun) {
  EventBus bus;
  int after = 0;
  bus.on("x", [](const BusEvent&) { throw std::runtime_error("boom"); });
  bus.on("x", [](const BusEvent&) { throw 42; });
  bus.on("x", [&](const BusEvent&) { ++after; });
  EXPECT_EQ(bus.emit("x"), 3u);
  EXPECT_EQ(after, 1);
  EXPECT_EQ(bus.counters().handler_errors.load(), 2u);
  EXPECT_EQ(bus.counters().delivered.load(), 1u);
}

TEST(EventBus, NamedHandlersFromTheRegistryAndOff) {
  EventBus bus;
  int calls = 0;
  bus.define("count", [&](const BusEvent&) { ++calls; });
  EXPECT_TRUE(bus.defined("count"));
  EXPECT_THROW(bus.on("a", std::string("nope")), std::invalid_argument);
  EXPECT_THROW(bus.on("a..b", [](const BusEvent&) {}), std::invalid_argument);
  auto id = bus.on("a.*", std::string("count"));
  bus.emit("a.b");
  EXPECT_TRUE(bus.off(id));
  EXPECT_FALSE(bus.off(id));
  bus.emit("a.b");
  EXPECT_EQ(calls, 1);
}

TEST(EventBus, HandlersMaySubscribeAndEmitFromInsideAHandler) {
  EventBus bus;
  std::vector<std::string> got;
  bus.on("first", [&](const BusEvent&) {
    bus.on("second", [&](const BusEvent& e) { got.push_back(e.name); });
    bus.emit("second");
  });
  bus.emit("first");
  EXPECT_EQ(got, (std::vector<std::string>{"second"}));
}

TEST(EventBus, PostedHandlersRunLaterOnAWorkerInOrder) {
  sb::net::Worker w(0);
  EventBus bus({&w});
  std::vector<int> got;
  std::thread::id ran_on;
  std::promise<void> done;
  bus.on(
      "tick",
      [&](const BusEvent& e) {
        got.push_back(static_cast<int>(e.payload.as_int64()));
        ran_on = std::this_thread::get_id();
        if (got.size() == 100) done.set_value();
      },
      Delivery::Posted);
  bus.on("tick", [](const BusEvent&) { throw std::runtime_error("sync one fails"); });
  for (int i = 0; i < 100; ++i) bus.emit("tick", i);
  EXPECT_TRUE(got.empty());  // nothing ran yet: the worker is not running
  w.start();
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  w.stop();
  w.join();
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(bus.counters().handler_errors.load(), 100u);
}

TEST(EventBus, TheRouterSeesEveryEventWithoutCountingAsAHandler) {
  EventBus bus;
  std::vector<std::string> routed;
  bus.set_router([&](std::string_view name, const boost::json::value& p) -> size_t {
    routed.push_back(std::string(name) + "=" + std::to_string(p.as_int64()));
    return name == "a" ? 2 : 0;
  });
  size_t n = 99;
  EXPECT_EQ(bus.emit("a", 1, &n), 0u);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(bus.emit("b", 2, &n), 0u);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(routed, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(bus.counters().unhandled.load(), 1u);  // only "b": nothing took it
}
