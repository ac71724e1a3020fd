// Where cluster messages go: the Socket.IO Redis adapter's channels on Redis,
// escaped-namespace subjects on NATS.
#include "gateways/inter_service/cluster_channels.hpp"

#include <gtest/gtest.h>

#include "gateways/inter_service/topic_pattern.hpp"

using namespace sb::inter_service;

TEST(ClusterChannels, RedisUsesTheAdapterChannels) {
  ClusterChannels c(ClusterScheme::redis, "socket.io");
  EXPECT_EQ(c.broadcast("/", {}), "socket.io#/#");
  EXPECT_EQ(c.broadcast("/", {"room1"}), "socket.io#/#room1#");
  EXPECT_EQ(c.broadcast("/admin", {"r1", "r2"}), "socket.io#/admin#");
  EXPECT_EQ(c.request("/admin"), "socket.io-request#/admin#");
  EXPECT_EQ(c.broadcast_subscription(), "socket.io#*");
  EXPECT_EQ(c.request_subscription(), "socket.io-request#*");
  EXPECT_EQ(c.nsp_of_request("socket.io-request#/admin#"), "/admin");
  EXPECT_EQ(c.nsp_of_request("socket.io-request#/#"), "/");
  EXPECT_FALSE(c.nsp_of_request("socket.io#/#"));
  EXPECT_FALSE(c.nsp_of_request("socket.io-request#/"));
  EXPECT_FALSE(c.nsp_of_request(""));
}

TEST(ClusterChannels, NatsPutsTheNamespaceInOneToken) {
  ClusterChannels c(ClusterScheme::nats, "socket.io");
  EXPECT_EQ(c.broadcast("/", {}), "socket.io./.broadcast");
  EXPECT_EQ(c.broadcast("/", {"room.1"}), "socket.io./.broadcast");  // rooms stay out
  EXPECT_EQ(c.broadcast("/a.b c", {}), "socket.io./a%2Eb%20c.broadcast");
  EXPECT_EQ(c.request("/admin"), "socket.io./admin.request");
  EXPECT_EQ(c.nsp_of_request("socket.io./a%2Eb%20c.request"), "/a.b c");
  EXPECT_EQ(c.nsp_of_request("socket.io./.request"), "/");
  EXPECT_FALSE(c.nsp_of_request("socket.io./.broadcast"));
  EXPECT_FALSE(c.nsp_of_request("socket.io.a.b.request"));
  EXPECT_FALSE(c.nsp_of_request("socket.io.%zz.request"));
  // Every subject we publish matches what we subscribe to.
  for (std::string nsp : {"/", "/admin", "/a.b", "/*>", "/é", ""}) {
    EXPECT_TRUE(topic_pattern::matches(c.broadcast_subscription(), c.broadcast(nsp, {}))) << nsp;
    EXPECT_TRUE(topic_pattern::matches(c.request_subscription(), c.request(nsp))) << nsp;
    EXPECT_EQ(c.nsp_of_request(c.request(nsp)), nsp);
  }
}

TEST(ClusterChannels, TokenEscapingRoundTrips) {
  for (std::string s : {"", "/", "%", "a.b", "*", ">", " \t\n", "\x7f\xff", "%41"}) {
    const std::string t = nats_token_escape(s);
    EXPECT_EQ(t.find_first_of(".*> \t\n"), std::string::npos) << t;
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(nats_token_unescape(t), s) << t;
  }
  EXPECT_FALSE(nats_token_unescape("%4"));
  EXPECT_FALSE(nats_token_unescape("%G0"));
}

TEST(ClusterChannels, PrefixChecks) {
  EXPECT_EQ(ClusterChannels::check_prefix(ClusterScheme::redis, "socket.io"), "");
  EXPECT_EQ(ClusterChannels::check_prefix(ClusterScheme::nats, "socket.io"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::redis, ""), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::redis, "a*"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::redis, "a#b"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::nats, "a.>"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::nats, "a..b"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::nats, ".a"), "");
  EXPECT_NE(ClusterChannels::check_prefix(ClusterScheme::nats, "a b"), "");
}

TEST(ClusterChannels, ResponsesAndPresenceStayOutOfTheOtherSubscriptions) {
  ClusterChannels r(ClusterScheme::redis, "socket.io");
  EXPECT_EQ(r.response("/admin"), "socket.io-response#/admin#");
  EXPECT_EQ(r.response_subscription(), "socket.io-response#*");
  EXPECT_EQ(r.presence(), "socket.io-presence#");
  ClusterChannels n(ClusterScheme::nats, "socket.io");
  EXPECT_EQ(n.response("/a.b"), "socket.io./a%2Eb.response");
  EXPECT_EQ(n.response_subscription(), "socket.io.*.response");
  EXPECT_EQ(n.presence(), "socket.io.presence");
  // Neither is taken for a broadcast or a request.
  EXPECT_FALSE(r.nsp_of_request(r.presence()));
  EXPECT_FALSE(r.nsp_of_request(r.response("/")));
  EXPECT_FALSE(n.nsp_of_request(n.presence()));
  EXPECT_FALSE(n.nsp_of_request(n.response("/")));
}
