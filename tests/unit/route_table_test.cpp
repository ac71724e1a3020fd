#include "hub/route_table.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "hub/route_template.hpp"
#include "hub/topic_pattern.hpp"

using namespace sb::hub;
namespace json = boost::json;

TEST(TopicPattern, WildcardsMatchSegments) {
  EXPECT_TRUE(topic_matches("inbox.stored", "inbox.stored"));
  EXPECT_FALSE(topic_matches("inbox.stored", "inbox.read"));
  EXPECT_TRUE(topic_matches("inbox.*", "inbox.stored"));
  EXPECT_FALSE(topic_matches("inbox.*", "inbox"));
  EXPECT_FALSE(topic_matches("inbox.*", "inbox.a.b"));
  EXPECT_TRUE(topic_matches("*.stored", "inbox.stored"));
  EXPECT_TRUE(topic_matches("inbox.**", "inbox"));
  EXPECT_TRUE(topic_matches("inbox.**", "inbox.a.b.c"));
  EXPECT_FALSE(topic_matches("inbox.**", "inboxes.a"));
  EXPECT_TRUE(topic_matches("**", "anything.at.all"));
  EXPECT_TRUE(topic_matches("a.**.z", "a.z"));
  EXPECT_TRUE(topic_matches("a.**.z", "a.b.c.z"));
  EXPECT_FALSE(topic_matches("a.**.z", "a.b.c"));
  EXPECT_TRUE(is_pattern("a.*"));
  EXPECT_FALSE(is_pattern("a.b*"));
  EXPECT_FALSE(valid_pattern("a.b*"));
  EXPECT_FALSE(valid_pattern("a..b"));
  EXPECT_FALSE(valid_pattern(""));
  EXPECT_TRUE(valid_pattern("a.**"));
}

// Found by tests/fuzz (corpus/hub_topic_pattern/many_globstars_slow): matching was
// exponential in the number of "**"; ten of them against 41 segments took minutes.
TEST(TopicPattern, ManyGlobstarsMatchFast) {
  std::string pattern, name;
  for (int i = 0; i < 10; ++i) pattern += "**.";
  pattern += "x";
  for (int i = 0; i < 400; ++i) name += "a.";
  EXPECT_FALSE(topic_matches(pattern, name + "b"));
  EXPECT_TRUE(topic_matches(pattern, name + "x"));
  EXPECT_TRUE(topic_matches("**.a.*.**", "q.a.b"));
  EXPECT_FALSE(topic_matches("**.a.*.**", "q.a"));
  EXPECT_TRUE(topic_matches("**", ""));
  EXPECT_TRUE(topic_matches("a.**.**", "a"));
  EXPECT_TRUE(topic_matches("a..b", "a..b"));
}

TEST(RouteTemplate, FillsFieldsFromThePayload) {
  auto data = json::parse(R"({"id":42,"user":{"name":"ann"},"tags":["x","y"],"ok":true,"f":1.5})");
  std::string out, err;
  ASSERT_TRUE(RouteTemplate::parse("user:{data.id}").expand("ev", data, out, err));
  EXPECT_EQ(out, "user:42");
  ASSERT_TRUE(RouteTemplate::parse("{event}/{data.user.name}/{data.tags.1}/{data.ok}")
                  .expand("inbox.stored", data, out, err));
  EXPECT_EQ(out, "inbox.stored/ann/y/true");
  ASSERT_TRUE(RouteTemplate::parse("{{literal}}").expand("e", data, out, err));
  EXPECT_EQ(out, "{literal}");
  EXPECT_TRUE(RouteTemplate::parse("plain").is_literal());
}

TEST(RouteTemplate, FailsOnMissingOrUnusableFields) {
  auto data = json::parse(R"({"id":"","obj":{},"n":null})");
  std::string out, err;
  EXPECT_FALSE(RouteTemplate::parse("u:{data.missing}").expand("e", data, out, err));
  EXPECT_NE(err.find("missing"), std::string::npos);
  EXPECT_FALSE(RouteTemplate::parse("u:{data.obj}").expand("e", data, out, err));
  EXPECT_FALSE(RouteTemplate::parse("u:{data.n}").expand("e", data, out, err));
  EXPECT_FALSE(RouteTemplate::parse("u:{data.id}").expand("e", data, out, err));
  EXPECT_FALSE(RouteTemplate::parse("{data.id.x}").expand("e", data, out, err));
  EXPECT_FALSE(
      RouteTemplate::parse("{data.tags.9}").expand("e", json::parse("{\"tags\":[]}"), out, err));
}

TEST(RouteTemplate, RejectsMalformedTemplates) {
  for (const char* bad :
       {"user:{data.id", "user:}", "{}", "{data..id}", "{foo.id}", "{event.x}", "{data.a b}"})
    EXPECT_THROW(RouteTemplate::parse(bad), std::invalid_argument) << bad;
}

namespace {
struct Recorder : RouteSink {
  std::vector<std::string> got;
  bool ok = true;
  bool deliver(const Delivery& d, std::string& error) override {
    got.push_back(std::string(d.target) + "|" + std::string(d.event) + "|" + std::string(d.nsp));
    if (!ok) error = "refused by test";
    return ok;
  }
};
}  // namespace

TEST(RouteTable, RoutesMatchingEventsToEveryTarget) {
  RouteTable t(
      {RouteSpec{"inbox.*", {"user:{data.to}", "sse:inbox:{data.to}"}, "new_notification", "/"},
       RouteSpec{"bus:news.**", {"room:news"}, "", "/feed"},
       RouteSpec{"broker:user.created", {"room:admins"}, "", "/"}});
  auto user = std::make_shared<Recorder>(), sse = std::make_shared<Recorder>(),
       room = std::make_shared<Recorder>();
  t.set_sink("user", user);
  t.set_sink("sse", sse);
  t.set_sink("room", room);
  EXPECT_EQ(t.apply("bus", "inbox.stored", json::parse(R"({"to":"7"})")), 2u);
  EXPECT_EQ(user->got, (std::vector<std::string>{"7|new_notification|/"}));
  EXPECT_EQ(sse->got, (std::vector<std::string>{"inbox:7|new_notification|/"}));
  EXPECT_EQ(t.apply("bus", "news.sports.live", json::value()), 1u);
  EXPECT_EQ(room->got, (std::vector<std::string>{"news|news.sports.live|/feed"}));
  // A broker route ignores bus events of the same name, and the reverse.
  EXPECT_EQ(t.apply("bus", "user.created", json::value()), 0u);
  EXPECT_EQ(t.apply("broker", "user.created", json::value()), 1u);
  EXPECT_EQ(t.apply("bus", "other", json::value()), 0u);
  EXPECT_EQ(t.counters().matched.load(), 3u);
  EXPECT_EQ(t.counters().delivered.load(), 4u);
  EXPECT_EQ(t.counters().failed.load(), 0u);
}

TEST(RouteTable, CountsWhatCannotBeApplied) {
  RouteTable t({RouteSpec{"a.*", {"user:{data.id}", "broker:audit.{event}", "sse:s"}, "", "/"}});
  auto user = std::make_shared<Recorder>(), sse = std::make_shared<Recorder>();
  sse->ok = false;
  t.set_sink("user", user);
  t.set_sink("sse", sse);
  // Missing field (user), no broker sink, refusing sink (sse): three failures, nothing delivered.
  EXPECT_EQ(t.apply("bus", "a.b", json::parse("{}")), 0u);
  EXPECT_EQ(t.counters().failed.load(), 3u);
  EXPECT_EQ(t.counters().delivered.load(), 0u);
  EXPECT_TRUE(user->got.empty());
  EXPECT_EQ(sse->got.size(), 1u);
}

TEST(RouteTable, ValidatesSpecsNamingTheField) {
  auto msg = [](RouteSpec s) {
    try {
      RouteTable t({s});
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("ok");
  };
  EXPECT_EQ(msg({"a", {"rooms:x"}, "", "/"}).rfind("routes[0].to[0]: unknown target scheme", 0),
            0u);
  EXPECT_EQ(msg({"a", {"room"}, "", "/"}).rfind("routes[0].to[0]: expected <scheme>:<name>", 0),
            0u);
  EXPECT_EQ(msg({"a", {"room:{data.x"}, "", "/"}).rfind("routes[0].to[0]: unclosed", 0), 0u);
  EXPECT_EQ(msg({"kafka:a", {"room:x"}, "", "/"}).rfind("routes[0].from: unknown source", 0), 0u);
  EXPECT_EQ(msg({"a..b", {"room:x"}, "", "/"}).rfind("routes[0].from:", 0), 0u);
  EXPECT_EQ(msg({"a", {}, "", "/"}).rfind("routes[0].to:", 0), 0u);
  EXPECT_EQ(msg({"a", {"room:x"}, "{bad", "/"}).rfind("routes[0].event:", 0), 0u);
  EXPECT_EQ(msg({"a", {"room:x"}, "", "chat"}).rfind("routes[0].namespace:", 0), 0u);
  EXPECT_EQ(msg({"a.*", {"room:x"}, "", "/"}), "ok");
}

TEST(RouteTable, BrokerSourcesUseBrokerPatternsAndTheirBroker) {
  RouteTable t({RouteSpec{"broker:orders.>", {"room:orders"}, "", "/", "nats"},
                RouteSpec{"broker:user.*", {"room:users"}, "", "/", "redis"}});
  auto room = std::make_shared<Recorder>();
  t.set_sink("room", room);
  EXPECT_EQ(t.apply("broker", "orders.eu.placed", json::value(), "nats"), 1u);
  EXPECT_EQ(t.apply("broker", "orders.eu.placed", json::value(), "redis"), 0u);  // other broker
  EXPECT_EQ(t.apply("broker", "orders", json::value(), "nats"), 0u);             // > needs a token
  EXPECT_EQ(t.apply("broker", "user.created", json::value(), "redis"), 1u);
  EXPECT_EQ(room->got,
            (std::vector<std::string>{"orders|orders.eu.placed|/", "users|user.created|/"}));
  // EventEmitter2's ** is not a broker pattern.
  EXPECT_THROW(RouteTable({RouteSpec{"broker:a.**", {"room:x"}, "", "/"}}), std::invalid_argument);
}

TEST(RouteTable, ClientSourcesAndReplyRoutes) {
  RouteTable t({RouteSpec{"client:chat.send", {"room:chat"}, "", "/chat"},
                RouteSpec{"client:math.sum", {"broker:math.sum"}, "", "/", "redis", true}});
  auto room = std::make_shared<Recorder>();
  t.set_sink("room", room);
  EXPECT_EQ(t.apply("client", "chat.send", json::value(), "/chat"), 1u);
  EXPECT_EQ(t.apply("client", "chat.send", json::value(), "/"), 0u);  // another namespace
  EXPECT_EQ(t.apply("client", "math.sum", json::value(), "/"), 0u);   // answered by its owner
  auto src = t.sources();
  ASSERT_EQ(src.size(), 2u);
  EXPECT_EQ(src[1].source, "client");
  EXPECT_EQ(src[1].pattern, "math.sum");
  EXPECT_EQ(src[1].broker, "redis");
  EXPECT_TRUE(src[1].reply);
  auto bad = [](RouteSpec s) {
    try {
      RouteTable::check(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("ok");
  };
  EXPECT_EQ(bad({"client:a.*", {"room:x"}, "", "/"}).rfind("from:", 0), 0u);
  EXPECT_EQ(bad({"a", {"broker:x"}, "", "/", "", true}).rfind("reply:", 0), 0u);
  EXPECT_EQ(bad({"client:a", {"room:x"}, "", "/", "", true}).rfind("reply:", 0), 0u);
  EXPECT_EQ(bad({"client:a", {"broker:x", "room:y"}, "", "/", "", true}).rfind("reply:", 0), 0u);
  EXPECT_EQ(bad({"a", {"room:x"}, "", "/", "", false, true}).rfind("include_sender:", 0), 0u);
}
