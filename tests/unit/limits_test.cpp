// [limits] building blocks: the token bucket, session admission, the config
// section, and route tables swapped by SIGHUP.
#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <functional>

#include "app/config.hpp"
#include "gateways/client/admission.hpp"
#include "hub/route_table.hpp"
#include "net/overload_counters.hpp"
#include "net/token_bucket.hpp"

namespace {

using sb::net::Limit;
using sb::net::TokenBucket;

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b(3, 1000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.take(2, 3, 1000));
  EXPECT_FALSE(b.take(2, 3, 1000));
  EXPECT_FALSE(b.take(2, 3, 1400));  // 0.8 of a token
  EXPECT_TRUE(b.take(2, 3, 1500));   // one token after 500 ms at 2/s
  EXPECT_FALSE(b.take(2, 3, 1500));
  EXPECT_FALSE(b.full(2, 3, 2000));
  EXPECT_TRUE(b.full(2, 3, 3000));  // never more than the burst
  EXPECT_TRUE(b.take(2, 3, 60000));
  EXPECT_TRUE(b.take(2, 3, 60000));
  EXPECT_TRUE(b.take(2, 3, 60000));
  EXPECT_FALSE(b.take(2, 3, 60000));
  EXPECT_TRUE(b.take(0, 0, 60000));  // rate 0: no limit
}

uint64_t rejected(Limit l) {
  return sb::net::overload_counters().rejected[static_cast<size_t>(l)].load();
}

TEST(Admission, TotalPerAddressAndRate) {
  sb::eio::Admission a({/*max_connections=*/3, /*per_ip=*/2, /*rate=*/0, /*burst=*/0});
  const auto before = rejected(Limit::ConnectionsPerIp);
  EXPECT_FALSE(a.admit("10.0.0.1", 0));
  EXPECT_FALSE(a.admit("10.0.0.1", 0));
  EXPECT_EQ(a.admit("10.0.0.1", 0), Limit::ConnectionsPerIp);
  EXPECT_EQ(rejected(Limit::ConnectionsPerIp), before + 1);
  EXPECT_FALSE(a.admit("10.0.0.2", 0));
  EXPECT_EQ(a.admit("10.0.0.3", 0), Limit::Connections);
  EXPECT_EQ(a.total(), 3u);
  a.release("10.0.0.1");
  EXPECT_FALSE(a.admit("10.0.0.3", 0));
  a.release("10.0.0.9");  // unknown: ignored
  EXPECT_EQ(a.total(), 3u);
  // Looked up by a view into a longer buffer (as a session's handshake holds it).
  const std::string buffer = "10.0.0.2:51234";
  a.release(std::string_view(buffer).substr(0, 8));
  EXPECT_EQ(a.total(), 2u);
  EXPECT_FALSE(a.admit(std::string_view(buffer).substr(0, 8), 0));
  EXPECT_EQ(a.total(), 3u);
}

TEST(Admission, HandshakeRatePerAddress) {
  sb::eio::Admission a({0, 0, /*rate=*/1, /*burst=*/2});
  EXPECT_FALSE(a.admit("a", 1000));
  EXPECT_FALSE(a.admit("a", 1000));
  EXPECT_EQ(a.admit("a", 1000), Limit::HandshakeRate);
  EXPECT_FALSE(a.admit("b", 1000));  // another address has its own bucket
  EXPECT_FALSE(a.admit("a", 2000));
  // Many addresses come and go: idle entries are forgotten, state stays correct.
  for (int i = 0; i < 5000; ++i) {
    const std::string ip = "ip" + std::to_string(i);
    EXPECT_FALSE(a.admit(ip, 100000 + static_cast<uint64_t>(i) * 10));
    a.release(ip);
  }
  EXPECT_EQ(a.total(), 4u);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(LimitsConfig, ParsesOverridesAndPrints) {
  auto c = sb::parse_config(R"(
[server]
shutdown_timeout_ms = 2500
[limits]
max_connections = 7
events_per_second = 0
max_outbound_bytes = 65536
)",
                            "t.toml");
  EXPECT_EQ(c.server.shutdown_timeout_ms, 2500u);
  EXPECT_EQ(c.limits.max_connections, 7u);
  EXPECT_EQ(c.limits.events_per_second, 0u);
  EXPECT_EQ(c.limits.max_outbound_bytes, 65536u);
  EXPECT_EQ(c.limits.max_rooms_per_socket, 1000u);  // default kept
  sb::apply_env_overrides(c, {{"SWITCHBOARD_LIMITS_MAX_ROOMS_PER_SOCKET", "12"},
                              {"SWITCHBOARD_SERVER_SHUTDOWN_TIMEOUT_MS", "900"}});
  EXPECT_EQ(c.limits.max_rooms_per_socket, 12u);
  EXPECT_EQ(c.server.shutdown_timeout_ms, 900u);
  const auto text = sb::to_toml(c);
  EXPECT_NE(text.find("[limits]\nmax_connections = 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_rooms_per_socket = 12\n"), std::string::npos);
  EXPECT_EQ(sb::parse_config(text, "again").limits.max_rooms_per_socket, 12u);

  EXPECT_EQ(error_of([] { sb::parse_config("[limits]\nmax_rooms = 1\n", "t"); }),
            "unknown key \"limits.max_rooms\"");
  EXPECT_NE(error_of([] {
              sb::parse_config("[limits]\nmax_outbound_bytes = 10\n", "t");
            }).find("limits.max_outbound_bytes: expected an integer in 1024.."),
            std::string::npos);
  sb::Config d;
  EXPECT_NE(error_of([&] { sb::apply_env_overrides(d, {{"SWITCHBOARD_LIMITS_NOPE", "1"}}); }), "");
}

struct Collect : sb::hub::RouteSink {
  std::vector<std::string> got;
  bool deliver(const sb::hub::Delivery& d, std::string&) override {
    got.push_back(std::string(d.target) + " " + std::string(d.event));
    return true;
  }
};

TEST(RouteTableReplace, SwapsBusRoutesAndRefusesNewSubscriptions) {
  using sb::hub::RouteSpec;
  sb::hub::RouteTable t({RouteSpec{"bus:ping", {"room:lobby"}, "first"},
                         RouteSpec{"broker:user.*", {"room:users"}, "", "/", "memory"}});
  auto sink = std::make_shared<Collect>();
  t.set_sink("room", sink);
  const boost::json::value data = boost::json::object{};
  t.apply("bus", "ping", data);
  t.replace({RouteSpec{"bus:ping", {"room:hall"}, "second"},
             RouteSpec{"bus:pong", {"room:hall"}, ""},
             RouteSpec{"broker:user.*", {"room:people"}, "", "/", "memory"}});
  t.apply("bus", "ping", data);
  t.apply("bus", "pong", data);
  EXPECT_EQ(sink->got, (std::vector<std::string>{"lobby first", "hall second", "hall pong"}));
  EXPECT_EQ(t.size(), 3u);
  // A new broker source would need a subscription: refused, the table stays.
  EXPECT_NE(error_of([&] {
              t.replace({RouteSpec{"broker:order.*", {"room:x"}, "", "/", "memory"}});
            }).find("restart"),
            std::string::npos);
  EXPECT_NE(error_of([&] { t.replace({RouteSpec{"bus:ping", {"rooms:x"}, ""}}); }), "");
  EXPECT_EQ(t.size(), 3u);
}

}  // namespace
