// The HTTP API's pure parts: batch parsing, presence summaries, the CLI's URL parsing.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/batch.hpp"
#include "api/presence_endpoint.hpp"
#include "app/http_client.hpp"

namespace json = boost::json;
using sb::api::parse_batch;

static std::string error_code(const sb::net::HttpResponse& r) {
  return std::string(json::parse(r.body).at("error").at("code").as_string());
}

TEST(ApiBatch, MapsEachCommandToItsEndpoint) {
  auto b = parse_batch(R"({"commands":[
    {"command":"emit","room":"r","event":"e","data":1},
    {"command":"broadcast","rooms":["a","b"],"event":"e"},
    {"command":"disconnect","user":"42"},
    {"command":"sse_publish","stream":"news","data":{"t":1}},
    {"command":"bus_emit","name":"user.created","payload":{"id":7}},
    {"command":"bus_emit","name":"ping"}]})");
  ASSERT_FALSE(b.error);
  ASSERT_EQ(b.commands.size(), 6u);
  for (auto& c : b.commands) {
    EXPECT_FALSE(c.error);
    EXPECT_EQ(c.request.method, "POST");
  }
  EXPECT_EQ(b.commands[0].request.path, "/api/emit");
  EXPECT_EQ(json::parse(b.commands[0].request.body),
            json::parse(R"({"room":"r","event":"e","data":1})"));
  EXPECT_EQ(b.commands[1].request.path, "/api/broadcast");
  EXPECT_EQ(b.commands[2].request.path, "/api/disconnect");
  EXPECT_EQ(b.commands[3].request.path, "/api/sse/news");
  EXPECT_EQ(json::parse(b.commands[3].request.body), json::parse(R"({"data":{"t":1}})"));
  EXPECT_EQ(b.commands[4].request.path, "/api/events/user.created");
  EXPECT_EQ(json::parse(b.commands[4].request.body), json::parse(R"({"id":7})"));
  EXPECT_EQ(b.commands[5].request.body, "");
}

TEST(ApiBatch, BadCommandsFailAloneAndTheRestStays) {
  auto b = parse_batch(R"({"commands":[{"command":"nope"},42,{"event":"x"},
    {"command":"sse_publish","data":1},{"command":"bus_emit","name":""},
    {"command":"emit","user":"1","event":"e"}]})");
  ASSERT_FALSE(b.error);
  ASSERT_EQ(b.commands.size(), 6u);
  EXPECT_EQ(error_code(*b.commands[0].error), "unknown_command");
  EXPECT_EQ(b.commands[0].error->status, 400);
  EXPECT_EQ(error_code(*b.commands[1].error), "invalid_request");
  EXPECT_EQ(error_code(*b.commands[2].error), "invalid_request");
  EXPECT_EQ(error_code(*b.commands[3].error), "invalid_request");
  EXPECT_EQ(error_code(*b.commands[4].error), "invalid_request");
  EXPECT_FALSE(b.commands[5].error);
}

TEST(ApiBatch, RefusesAMalformedBatch) {
  EXPECT_EQ(error_code(*parse_batch("{nope").error), "invalid_json");
  EXPECT_EQ(error_code(*parse_batch("[]").error), "invalid_request");
  EXPECT_EQ(error_code(*parse_batch(R"({"commands":{}})").error), "invalid_request");
  EXPECT_EQ(error_code(*parse_batch(R"({"commands":[]})").error), "invalid_request");
  auto big = parse_batch(R"({"commands":[{},{},{}]})", 2);
  ASSERT_TRUE(big.error);
  EXPECT_EQ(big.error->status, 413);
  EXPECT_EQ(error_code(*big.error), "too_many_commands");
}

static sb::api::PresenceSnapshot sample() {
  sb::api::PresenceSnapshot s;
  s.sockets = {{"/", "s1", "42", {"s1", "user:42", "lobby"}, 0, ""},
               {"/", "s2", "42", {"s2", "user:42"}, 1, ""},
               {"/admin", "s3", "42", {"s3", "user:42"}, 0, ""},
               {"/", "s4", "7", {"s4", "user:7", "lobby"}, 1, ""},
               {"/", "s5", "", {"s5", "lobby"}, 0, ""}};
  return s;
}

TEST(ApiPresence, CountsUsersAndConnections) {
  auto all = sb::api::presence_users(sample(), std::nullopt);
  EXPECT_EQ(all,
            json::parse(R"({"users":[{"user":"42","connections":3},{"user":"7","connections":1}],
                                 "total_users":2,"total_sockets":5,"nodes":1})"));
  auto admin = sb::api::presence_users(sample(), std::string("/admin"));
  EXPECT_EQ(admin.at("total_sockets").to_number<int>(), 1);
  EXPECT_EQ(admin.at("users").as_array().size(), 1u);
}

TEST(ApiPresence, StatsPerNamespace) {
  EXPECT_EQ(json::value(sb::api::presence_stats(sample())),
            json::parse(R"({"users":2,"sockets":5,"anonymous":1,
              "namespaces":{"/":{"users":2,"sockets":4},"/admin":{"users":1,"sockets":1}},"nodes":1})"));
}

TEST(ApiPresence, OneUsersSocketsWithoutTheirOwnIdRoom) {
  auto u = sb::api::presence_user(sample(), "7");
  ASSERT_TRUE(u);
  EXPECT_EQ(json::value(*u), json::parse(R"({"user":"7","connections":1,
    "sockets":[{"id":"s4","namespace":"/","rooms":["user:7","lobby"]}]})"));
  EXPECT_FALSE(sb::api::presence_user(sample(), "nobody"));
}

TEST(ApiPresence, RoomsLargestFirst) {
  sb::api::RoomsResult all;
  for (auto& i : sample().sockets)
    if (i.nsp == "/")
      for (auto& room : i.rooms)
        if (room != i.id) ++all.rooms[room];
  auto r = sb::api::room_counts(all, "/");
  EXPECT_EQ(r.at("rooms").as_array().front(), json::parse(R"({"room":"lobby","members":3})"));
  EXPECT_EQ(r.at("total").to_number<int>(), 3);  // lobby, user:42, user:7
  EXPECT_FALSE(r.contains("partial"));
  all.truncated.push_back({"B", 0});
  EXPECT_EQ(sb::api::room_counts(all, "/").at("truncated"), json::parse(R"(["B"])"));
}

// A cluster: this node ("A", the sample's sockets) and node "B" by its heartbeat.
static sb::api::PresenceSnapshot cluster_sample() {
  auto s = sample();
  s.node = "A";
  for (auto& i : s.sockets) i.node = "A";
  sb::cluster::Heartbeat b;
  b.uid = "B";
  sb::cluster::NamespaceCount root;
  root.nsp = "/";
  root.sockets = 4;
  root.anonymous = 1;
  root.users = {{"42", 2}, {"99", 1}};
  b.namespaces.push_back(root);
  s.remote.push_back(b);
  return s;
}

TEST(ApiPresence, ClusterCountsAddTheOtherNodesHeartbeats) {
  auto all = sb::api::presence_users(cluster_sample(), std::nullopt);
  EXPECT_EQ(all, json::parse(R"({"users":[{"user":"42","connections":5},
    {"user":"7","connections":1},{"user":"99","connections":1}],
    "total_users":3,"total_sockets":9,"nodes":2})"));
  EXPECT_EQ(json::value(sb::api::presence_stats(cluster_sample())),
            json::parse(R"({"users":3,"sockets":9,"anonymous":2,
              "namespaces":{"/":{"users":3,"sockets":8},"/admin":{"users":1,"sockets":1}},
              "nodes":2})"));
}

TEST(ApiPresence, ClusterUserDetailSaysWhichNodes) {
  auto u = sb::api::presence_user(cluster_sample(), "42");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->at("connections").to_number<int>(), 5);
  EXPECT_EQ(u->at("sockets").as_array().size(), 3u);  // this node's, one by one
  EXPECT_EQ(u->at("nodes"), json::parse(R"([{"node":"A","connections":3},
    {"node":"B","connections":2}])"));
  auto only_remote = sb::api::presence_user(cluster_sample(), "99");
  ASSERT_TRUE(only_remote);
  EXPECT_EQ(json::value(*only_remote), json::parse(R"({"user":"99","connections":1,
    "sockets":[],"nodes":[{"node":"B","connections":1}]})"));
}

TEST(ApiPresence, RoomSocketsListEveryNodesMembers) {
  sb::api::SocketsResult r;
  r.sockets = {{"/", "s1", "42", {"s1", "lobby"}, 0, "A"},
               {"/", "x9", "", {"x9", "lobby"}, 0, "B"}};
  r.nodes = 2;
  r.expected = 3;
  EXPECT_EQ(json::value(sb::api::room_sockets(r, "/", "lobby")), json::parse(R"({
    "namespace":"/","room":"lobby","total":2,"nodes":2,"nodes_expected":3,"sockets":[
      {"id":"s1","user":"42","rooms":["lobby"],"node":"A"},
      {"id":"x9","user":null,"rooms":["lobby"],"node":"B"}]})"));
  r.truncated.push_back({"B", 5000});
  auto partial = sb::api::room_sockets(r, "/", "lobby");
  EXPECT_EQ(partial.at("partial"), json::value(true));
  EXPECT_EQ(partial.at("error"), json::value("answer_too_large"));
  EXPECT_EQ(partial.at("truncated"), json::parse(R"([{"node":"B","sockets":5000}])"));
}

TEST(CliHttpUrl, ParsesHostPortAndBase) {
  auto u = sb::parse_http_url("http://127.0.0.1:3000");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "3000");
  EXPECT_EQ(u.base, "");
  u = sb::parse_http_url("http://example.com/gw/");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.base, "/gw");
  u = sb::parse_http_url("http://[::1]:4000");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "4000");
  EXPECT_THROW(sb::parse_http_url("https://x"), std::invalid_argument);
  EXPECT_THROW(sb::parse_http_url("127.0.0.1:3000"), std::invalid_argument);
  EXPECT_THROW(sb::parse_http_url("http://host:abc"), std::invalid_argument);
  EXPECT_THROW(sb::parse_http_url("http://:80"), std::invalid_argument);
}
