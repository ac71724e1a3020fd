// Cluster presence and requests, the pure parts: the heartbeat and
// request/response codec (the Socket.IO Redis adapter's JSON), the node table
// with its expiry, socket counting and selection.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateways/inter_service/cluster_heartbeat.hpp"
#include "gateways/inter_service/cluster_node_table.hpp"
#include "gateways/inter_service/cluster_requests.hpp"
#include "protocol/cluster_message.hpp"

namespace json = boost::json;
using namespace sb;
using namespace std::chrono_literals;

static cluster::Heartbeat heartbeat(std::string uid, uint64_t seq) {
  cluster::Heartbeat h;
  h.uid = std::move(uid);
  h.seq = seq;
  cluster::NamespaceCount n;
  n.nsp = "/";
  n.sockets = 3;
  n.anonymous = 1;
  n.users = {{"42", 1}, {"7", 1}};
  h.namespaces.push_back(n);
  return h;
}

TEST(ClusterMessage, HeartbeatRoundTrip) {
  auto h = heartbeat("node-a", 9);
  cluster::Heartbeat back;
  ASSERT_TRUE(cluster::decode_heartbeat(cluster::encode_heartbeat(h), back));
  EXPECT_EQ(back.uid, "node-a");
  EXPECT_EQ(back.seq, 9u);
  EXPECT_FALSE(back.bye);
  ASSERT_EQ(back.namespaces.size(), 1u);
  EXPECT_EQ(back.namespaces[0].sockets, 3u);
  EXPECT_EQ(back.namespaces[0].anonymous, 1u);
  EXPECT_EQ(back.namespaces[0].users, h.namespaces[0].users);
  h.bye = true;
  ASSERT_TRUE(cluster::decode_heartbeat(cluster::encode_heartbeat(h), back));
  EXPECT_TRUE(back.bye);
}

TEST(ClusterMessage, BadHeartbeatsAreRefused) {
  cluster::Heartbeat out;
  out.uid = "kept";
  for (const char* bad : {"", "nope", "[]", R"({"uid":"a"})",
                          R"({"uid":"","type":"heartbeat","seq":1,"namespaces":[]})",
                          R"({"uid":"a","type":"hello","seq":1,"namespaces":[]})",
                          R"({"uid":"a","type":"heartbeat","seq":-1,"namespaces":[]})",
                          R"({"uid":"a","type":"heartbeat","seq":1,"namespaces":{}})",
                          R"({"uid":"a","type":"heartbeat","seq":1,"namespaces":[{"nsp":"/"}]})",
                          R"({"uid":"a","type":"heartbeat","seq":1,"namespaces":[
                              {"nsp":"/","sockets":1,"anonymous":0,"users":{"x":-2}}]})",
                          R"({"uid":"a","type":"heartbeat","seq":1,"namespaces":[
                              {"nsp":"/","sockets":1,"anonymous":0,"users":{"x":"1"}}]})"})
    EXPECT_FALSE(cluster::decode_heartbeat(bad, out)) << bad;
  EXPECT_EQ(out.uid, "kept");
  cluster::Limits small;
  small.max_items = 1;
  EXPECT_FALSE(cluster::decode_heartbeat(cluster::encode_heartbeat(heartbeat("a", 1)), out, small));
  small = {};
  small.max_bytes = 10;
  EXPECT_FALSE(cluster::decode_heartbeat(cluster::encode_heartbeat(heartbeat("a", 1)), out, small));
}

TEST(ClusterMessage, RequestsAreTheAdaptersJson) {
  cluster::Request r;
  r.kind = cluster::RequestKind::fetch_sockets;
  r.uid = "abc";
  r.request_id = "abc-1";
  r.rooms = {"lobby"};
  EXPECT_EQ(json::parse(cluster::encode_request(r)),
            json::parse(R"({"uid":"abc","requestId":"abc-1","type":5,
              "opts":{"rooms":["lobby"],"except":[]}})"));
  r.kind = cluster::RequestKind::server_side_emit;
  r.data = json::array{"ping", 1};
  EXPECT_EQ(json::parse(cluster::encode_request(r)),
            json::parse(R"({"uid":"abc","requestId":"abc-1","type":6,"data":["ping",1]})"));

  // What a Node.js server with @socket.io/redis-adapter publishes.
  cluster::Request in;
  ASSERT_TRUE(cluster::decode_request(
      R"({"uid":"Xy12ab","requestId":"q1","type":5,"opts":{"rooms":["r1",7],"except":["r2"]}})",
      in));
  EXPECT_EQ(in.kind, cluster::RequestKind::fetch_sockets);
  EXPECT_EQ(in.uid, "Xy12ab");
  EXPECT_EQ(in.rooms, (std::vector<std::string>{"r1", "7"}));
  EXPECT_EQ(in.except, (std::vector<std::string>{"r2"}));
  ASSERT_TRUE(cluster::decode_request(R"({"uid":"u","requestId":"q2","type":1})", in));
  EXPECT_EQ(in.kind, cluster::RequestKind::all_rooms);
  // Not ours to answer: no requestId, other types, bad shapes.
  for (const char* other :
       {R"({"uid":"u","type":6,"data":["e"]})",
        R"({"uid":"u","requestId":"q","type":2,"rooms":["a"]})",
        R"({"uid":"u","requestId":"q","type":6,"data":[]})",
        R"({"uid":"u","requestId":"q","type":5,"opts":{"rooms":{}}})", "\x83\xa3uid", ""})
    EXPECT_FALSE(cluster::decode_request(other, in)) << other;
}

TEST(ClusterMessage, ResponsesRoundTripAndNodeAnswersDecode) {
  cluster::SocketInfo s{"sid1", "/", "42", "", {"sid1", "lobby"}};
  cluster::Response r;
  ASSERT_TRUE(cluster::decode_response(cluster::encode_sockets_response("q1", "node-b", {s}), r));
  EXPECT_EQ(r.request_id, "q1");
  EXPECT_EQ(r.node, "node-b");
  ASSERT_TRUE(r.sockets);
  ASSERT_EQ(r.sockets->size(), 1u);
  EXPECT_EQ((*r.sockets)[0].id, "sid1");
  EXPECT_EQ((*r.sockets)[0].user, "42");
  EXPECT_EQ((*r.sockets)[0].node, "node-b");
  EXPECT_EQ((*r.sockets)[0].rooms, s.rooms);

  ASSERT_TRUE(cluster::decode_response(
      cluster::encode_emit_response("q2", "n", json::object{{"delivered", 2}}), r));
  ASSERT_TRUE(r.data);
  EXPECT_EQ(*r.data, json::parse(R"({"delivered":2})"));

  // A Node server's fetchSockets answer (handshake and data as it sends them).
  ASSERT_TRUE(cluster::decode_response(
      R"({"requestId":"q3","sockets":[{"id":"n1","handshake":{"headers":{}},"rooms":["n1"],
         "data":{}}]})",
      r));
  EXPECT_EQ((*r.sockets)[0].user, "");
  EXPECT_EQ((*r.sockets)[0].node, "");
  ASSERT_TRUE(cluster::decode_response(R"({"requestId":"q4","rooms":["a","b"]})", r));
  EXPECT_EQ(*r.rooms, (std::vector<std::string>{"a", "b"}));
  for (const char* bad : {"", "{", R"({"sockets":[]})", R"({"requestId":"q","sockets":[1]})",
                          R"({"requestId":"q","sockets":[{"rooms":[]}]})"})
    EXPECT_FALSE(cluster::decode_response(bad, r)) << bad;
}

TEST(ClusterNodeTable, NodesJoinStayWhileHeardAndExpire) {
  inter_service::ClusterNodeTable t(6000ms);
  const auto t0 = inter_service::ClusterNodeTable::Clock::now();
  using Change = inter_service::ClusterNodeTable::Change;
  EXPECT_EQ(t.apply(heartbeat("a", 1), t0), Change::joined);
  EXPECT_EQ(t.apply(heartbeat("b", 1), t0), Change::joined);
  EXPECT_EQ(t.apply(heartbeat("a", 2), t0 + 4000ms), Change::none);
  EXPECT_EQ(t.alive_count(t0 + 5000ms), 2u);
  // b is silent: gone from the view past the timeout, even before expire().
  EXPECT_EQ(t.alive_count(t0 + 7000ms), 1u);
  EXPECT_EQ(t.alive(t0 + 7000ms).front().uid, "a");
  EXPECT_EQ(t.expire(t0 + 7000ms), (std::vector<std::string>{"b"}));
  EXPECT_EQ(t.expire(t0 + 7000ms), (std::vector<std::string>{}));
  // A heartbeat older than the one kept is ignored; a bye drops the node.
  auto old = heartbeat("a", 1);
  old.namespaces.clear();
  t.apply(old, t0 + 7500ms);
  EXPECT_EQ(t.alive(t0 + 7500ms).front().namespaces.size(), 1u);
  auto bye = heartbeat("a", 3);
  bye.bye = true;
  EXPECT_EQ(t.apply(bye, t0 + 7600ms), Change::left);
  EXPECT_EQ(t.alive_count(t0 + 7600ms), 0u);
  EXPECT_EQ(t.apply(bye, t0 + 7700ms), Change::none);
}

TEST(ClusterPresence, CountsAndSelectsSockets) {
  std::vector<cluster::SocketInfo> all = {{"s1", "/", "42", "", {"s1", "lobby"}},
                                          {"s2", "/", "42", "", {"s2"}},
                                          {"s3", "/", "", "", {"s3", "lobby", "vip"}},
                                          {"s4", "/admin", "7", "", {"s4", "lobby"}}};
  auto counts = inter_service::count_sockets(all);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].nsp, "/");
  EXPECT_EQ(counts[0].sockets, 3u);
  EXPECT_EQ(counts[0].anonymous, 1u);
  EXPECT_EQ(counts[0].users, (std::map<std::string, uint64_t>{{"42", 2}}));
  EXPECT_EQ(counts[1].nsp, "/admin");

  auto ids = [](const std::vector<cluster::SocketInfo>& v) {
    std::vector<std::string> out;
    for (auto& s : v) out.push_back(s.id);
    return out;
  };
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/", {}, {})),
            (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/", {"lobby"}, {})),
            (std::vector<std::string>{"s1", "s3"}));
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/", {"lobby"}, {"vip"})),
            (std::vector<std::string>{"s1"}));
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/admin", {"nope"}, {})),
            (std::vector<std::string>{}));
  // A socket is in its own id's room, as in Socket.IO (io.in(sid).fetchSockets()).
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/", {"s2"}, {})),
            (std::vector<std::string>{"s2"}));
  EXPECT_EQ(ids(inter_service::select_sockets(all, "/", {}, {"s2"})),
            (std::vector<std::string>{"s1", "s3"}));
}

TEST(ClusterPresence, UsersOnlineAnywhere) {
  cluster::NamespaceCount mine;
  mine.users = {{"42", 1}, {"zero", 0}};
  auto users = inter_service::users_online({mine}, {heartbeat("b", 1)});
  EXPECT_EQ(users, (std::set<std::string>{"42", "7"}));
  EXPECT_TRUE(inter_service::users_online({}, {}).empty());
}

TEST(ClusterNodeTable, KnowsWhoIsAlive) {
  inter_service::ClusterNodeTable t(1000ms);
  const auto t0 = inter_service::ClusterNodeTable::Clock::now();
  t.apply(heartbeat("a", 1), t0);
  EXPECT_TRUE(t.is_alive("a", t0 + 500ms));
  EXPECT_FALSE(t.is_alive("a", t0 + 1500ms));
  EXPECT_FALSE(t.is_alive("node-js-peer", t0));
}
