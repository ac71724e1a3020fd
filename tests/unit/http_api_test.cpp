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
  s.sockets = {{"/", "s1", "42", {"s1", "user:42", "lobby"}, 0},
               {"/", "s2", "42", {"s2", "user:42"}, 1},
               {"/admin", "s3", "42", {"s3", "user:42"}, 0},
               {"/", "s4", "7", {"s4", "user:7", "lobby"}, 1},
               {"/", "s5", "", {"s5", "lobby"}, 0}};
  return s;
}

TEST(ApiPresence, CountsUsersAndConnections) {
  auto all = sb::api::presence_users(sample(), std::nullopt);
  EXPECT_EQ(all,
            json::parse(R"({"users":[{"user":"42","connections":3},{"user":"7","connections":1}],
                                 "total_users":2,"total_sockets":5})"));
  auto admin = sb::api::presence_users(sample(), std::string("/admin"));
  EXPECT_EQ(admin.at("total_sockets").to_number<int>(), 1);
  EXPECT_EQ(admin.at("users").as_array().size(), 1u);
}

TEST(ApiPresence, StatsPerNamespace) {
  EXPECT_EQ(json::value(sb::api::presence_stats(sample())),
            json::parse(R"({"users":2,"sockets":5,"anonymous":1,
              "namespaces":{"/":{"users":2,"sockets":4},"/admin":{"users":1,"sockets":1}}})"));
}

TEST(ApiPresence, OneUsersSocketsWithoutTheirOwnIdRoom) {
  auto u = sb::api::presence_user(sample(), "7");
  ASSERT_TRUE(u);
  EXPECT_EQ(json::value(*u), json::parse(R"({"user":"7","connections":1,
    "sockets":[{"id":"s4","namespace":"/","rooms":["user:7","lobby"]}]})"));
  EXPECT_FALSE(sb::api::presence_user(sample(), "nobody"));
}

TEST(ApiPresence, RoomsLargestFirst) {
  auto r = sb::api::room_counts(sample(), "/");
  EXPECT_EQ(r.at("rooms").as_array().front(), json::parse(R"({"room":"lobby","members":3})"));
  EXPECT_EQ(r.at("total").to_number<int>(), 3);  // lobby, user:42, user:7
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
