// Cluster state past one message: heartbeats split into chunks and put back
// together by the node table (a generation swapped in only when complete),
// and the bounded answers (room counts, truncated fetchSockets).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateways/inter_service/cluster_node_table.hpp"
#include "gateways/inter_service/cluster_requests.hpp"
#include "protocol/cluster_message.hpp"
#include "protocol/emitter_message.hpp"

namespace json = boost::json;
using namespace sb;
using namespace std::chrono_literals;
using inter_service::ClusterNodeTable;

// A node with `users` distinct users in "/" (one connection each, user 0 two)
// and 3 sockets in "/chat".
static cluster::Heartbeat big(std::string uid, uint64_t seq, int users) {
  cluster::Heartbeat h;
  h.uid = std::move(uid);
  h.seq = seq;
  cluster::NamespaceCount root;
  root.nsp = "/";
  for (int i = 0; i < users; ++i) root.users["u" + std::to_string(i)] = i == 0 ? 2 : 1;
  root.sockets = static_cast<uint64_t>(users) + 1 + 4;
  root.anonymous = 4;
  cluster::NamespaceCount chat;
  chat.nsp = "/chat";
  chat.sockets = 3;
  chat.anonymous = 1;
  chat.users = {{"u1", 1}, {"zz", 1}};
  h.namespaces.push_back(root);
  h.namespaces.push_back(chat);
  return h;
}

static std::map<std::string, cluster::NamespaceCount> by_nsp(const cluster::Heartbeat& h) {
  std::map<std::string, cluster::NamespaceCount> out;
  for (auto& n : h.namespaces) out[n.nsp] = n;
  return out;
}

TEST(ClusterHeartbeatChunks, SplitBoundsEveryChunkAndLosesNothing) {
  auto h = big("a", 7, 23);
  auto chunks = cluster::split_heartbeat(h, 5, 1 << 20);
  ASSERT_EQ(chunks.size(), 5u);  // 25 users (23 + 2 in /chat), 5 per chunk
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].seq, 7u);
    EXPECT_EQ(chunks[i].chunk, i);
    EXPECT_EQ(chunks[i].chunks, 5u);
    size_t users = 0;
    for (auto& n : chunks[i].namespaces) users += n.users.size();
    EXPECT_LE(users, 5u);
    if (i > 0) {
      for (auto& n : chunks[i].namespaces) EXPECT_EQ(n.sockets + n.anonymous, 0u);
    }
  }
  // Through the codec and the table: the same counts as the whole.
  ClusterNodeTable table(1000ms);
  auto t0 = ClusterNodeTable::Clock::now();
  for (auto& c : chunks) {
    cluster::Heartbeat back;
    ASSERT_TRUE(cluster::decode_heartbeat(cluster::encode_heartbeat(c), back));
    table.apply(std::move(back), t0);
  }
  auto alive = table.alive(t0);
  ASSERT_EQ(alive.size(), 1u);
  auto got = by_nsp(alive[0]);
  auto want = by_nsp(h);
  ASSERT_EQ(got.size(), 2u);
  for (auto& [nsp, n] : want) {
    EXPECT_EQ(got[nsp].sockets, n.sockets) << nsp;
    EXPECT_EQ(got[nsp].anonymous, n.anonymous) << nsp;
    EXPECT_EQ(got[nsp].users, n.users) << nsp;
  }
}

TEST(ClusterHeartbeatChunks, SplitByBytesAndSmallStatesInOne) {
  auto h = big("a", 1, 100);
  // About 30 bytes a user: a 300-byte budget holds fewer than 20.
  auto chunks = cluster::split_heartbeat(h, 1000, 300);
  EXPECT_GT(chunks.size(), 5u);
  for (auto& c : chunks) EXPECT_LT(cluster::encode_heartbeat(c).size(), 300u + 200u);
  auto one = cluster::split_heartbeat(big("a", 1, 3), 5000, 1 << 20);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].chunks, 1u);
  cluster::Heartbeat empty;
  empty.uid = "e";
  EXPECT_EQ(cluster::split_heartbeat(empty, 5, 100).size(), 1u);  // liveness, no users
}

TEST(ClusterHeartbeatChunks, OnlyACompleteGenerationIsSwappedIn) {
  ClusterNodeTable table(1000ms);
  auto t0 = ClusterNodeTable::Clock::now();
  auto gen1 = cluster::split_heartbeat(big("a", 1, 10), 4, 1 << 20);
  auto gen2 = cluster::split_heartbeat(big("a", 2, 20), 4, 1 << 20);
  ASSERT_GT(gen1.size(), 2u);
  EXPECT_EQ(table.apply(gen1[0], t0), ClusterNodeTable::Change::joined);
  // Known and alive, but no snapshot yet: no users.
  ASSERT_EQ(table.alive(t0).size(), 1u);
  EXPECT_TRUE(table.alive(t0)[0].namespaces.empty());
  for (size_t i = 1; i < gen1.size(); ++i) table.apply(gen1[i], t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 10u);
  // Gen 2 in transit (all but its last chunk, one twice): gen 1 stays whole.
  for (size_t i = 0; i + 1 < gen2.size(); ++i) table.apply(gen2[i], t0);
  table.apply(gen2[0], t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 10u);
  // A late chunk of gen 1 changes nothing.
  table.apply(gen1[1], t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 10u);
  table.apply(gen2.back(), t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 20u);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.at("u0"), 2u);
}

TEST(ClusterHeartbeatChunks, NewerGenerationDropsAnUnfinishedOne) {
  ClusterNodeTable table(1000ms);
  auto t0 = ClusterNodeTable::Clock::now();
  auto gen1 = cluster::split_heartbeat(big("a", 1, 10), 4, 1 << 20);
  auto gen2 = cluster::split_heartbeat(big("a", 2, 10), 4, 1 << 20);
  auto gen3 = cluster::split_heartbeat(big("a", 3, 6), 4, 1 << 20);
  for (auto& c : gen1) table.apply(c, t0);
  table.apply(gen2[0], t0);  // gen 2 lost its other chunks
  for (auto& c : gen3) table.apply(c, t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 6u);
  // Gen 2's chunks arriving now are too old.
  for (size_t i = 1; i < gen2.size(); ++i) table.apply(gen2[i], t0);
  EXPECT_EQ(by_nsp(table.alive(t0)[0])["/"].users.size(), 6u);
}

TEST(ClusterHeartbeatChunks, AnyChunkKeepsTheNodeAliveAndSilenceExpiresIt) {
  ClusterNodeTable table(1000ms);
  auto t0 = ClusterNodeTable::Clock::now();
  auto gen1 = cluster::split_heartbeat(big("a", 1, 10), 4, 1 << 20);
  auto gen2 = cluster::split_heartbeat(big("a", 2, 10), 4, 1 << 20);
  for (auto& c : gen1) table.apply(c, t0);
  table.apply(gen2[1], t0 + 900ms);
  EXPECT_TRUE(table.is_alive("a", t0 + 1500ms));
  EXPECT_TRUE(table.expire(t0 + 1500ms).empty());
  EXPECT_EQ(table.expire(t0 + 2000ms), std::vector<std::string>{"a"});
  EXPECT_TRUE(table.alive(t0 + 2000ms).empty());
  // A bye drops the node at once, even with chunks in transit.
  for (auto& c : gen1) table.apply(c, t0);
  table.apply(gen2[0], t0);
  cluster::Heartbeat bye;
  bye.uid = "a";
  bye.bye = true;
  bye.seq = 3;
  EXPECT_EQ(table.apply(bye, t0), ClusterNodeTable::Change::left);
  EXPECT_TRUE(table.alive(t0).empty());
}

TEST(ClusterHeartbeatChunks, BadChunkFieldsAreRefused) {
  cluster::Heartbeat out;
  for (const char* bad :
       {R"({"uid":"a","type":"heartbeat","seq":1,"chunk":2,"chunks":2,"namespaces":[]})",
        R"({"uid":"a","type":"heartbeat","seq":1,"chunk":0,"chunks":0,"namespaces":[]})",
        R"({"uid":"a","type":"heartbeat","seq":1,"chunk":0,"namespaces":[]})",
        R"({"uid":"a","type":"heartbeat","seq":1,"chunk":-1,"chunks":2,"namespaces":[]})",
        R"({"uid":"a","type":"heartbeat","seq":1,"chunk":0,"chunks":"2","namespaces":[]})",
        R"({"uid":"a","type":"heartbeat","seq":1,"chunk":0,"chunks":100000000,"namespaces":[]})"})
    EXPECT_FALSE(cluster::decode_heartbeat(bad, out)) << bad;
  // Without chunk fields: one whole snapshot (the format before chunks).
  ASSERT_TRUE(
      cluster::decode_heartbeat(R"({"uid":"a","type":"heartbeat","seq":1,"namespaces":[]})", out));
  EXPECT_EQ(out.chunk, 0u);
  EXPECT_EQ(out.chunks, 1u);
}

TEST(ClusterRoomCounts, RequestAndAnswerRoundTrip) {
  cluster::Request r;
  r.kind = cluster::RequestKind::room_counts;
  r.uid = "a";
  r.request_id = "a-1";
  auto bytes = cluster::encode_request(r);
  EXPECT_EQ(json::parse(bytes), json::parse(R"({"uid":"a","requestId":"a-1",
    "type":"sb:room_counts"})"));
  cluster::Request back;
  ASSERT_TRUE(cluster::decode_request(bytes, back));
  EXPECT_EQ(back.kind, cluster::RequestKind::room_counts);
  EXPECT_FALSE(cluster::decode_request(R"({"uid":"a","requestId":"x","type":"other"})", back));

  std::map<std::string, uint64_t> counts{{"lobby", 3}, {"user:42", 1}};
  cluster::Response resp;
  ASSERT_TRUE(
      cluster::decode_response(cluster::encode_room_counts_response("a-1", "b", counts), resp));
  EXPECT_EQ(resp.request_id, "a-1");
  EXPECT_EQ(resp.node, "b");
  ASSERT_TRUE(resp.room_counts);
  EXPECT_EQ(*resp.room_counts, counts);
  EXPECT_FALSE(resp.truncated);
  EXPECT_FALSE(cluster::decode_response(R"({"requestId":"a-1","roomCounts":{"lobby":-1}})", resp));
  EXPECT_FALSE(cluster::decode_response(R"({"requestId":"a-1","roomCounts":[]})", resp));
}

TEST(ClusterRoomCounts, CountsRoomsWithoutSocketIdsAndCutsTheSmallest) {
  std::vector<cluster::SocketInfo> all = {{"s1", "/", "42", "", {"s1", "lobby", "user:42"}},
                                          {"s2", "/", "", "", {"s2", "lobby"}},
                                          {"s3", "/chat", "", "", {"s3", "lobby"}}};
  EXPECT_EQ(inter_service::count_rooms(all, "/"),
            (std::map<std::string, uint64_t>{{"lobby", 2}, {"user:42", 1}}));
  std::map<std::string, uint64_t> many;
  for (int i = 0; i < 1000; ++i) many["room-" + std::to_string(i)] = 1;
  many["big"] = 50;
  auto bytes = cluster::encode_room_counts_response("id", "n", many, 2000);
  EXPECT_LE(bytes.size(), 2000u);
  cluster::Response resp;
  ASSERT_TRUE(cluster::decode_response(bytes, resp));
  EXPECT_TRUE(resp.truncated);
  EXPECT_EQ(resp.room_counts->at("big"), 50u);  // the biggest kept
  EXPECT_LT(resp.room_counts->size(), many.size());
}

TEST(ClusterFetch, AnOversizedSocketsAnswerSaysItIsTruncated) {
  std::vector<cluster::SocketInfo> all;
  for (int i = 0; i < 500; ++i)
    all.push_back({"sock-" + std::to_string(i), "/", "u" + std::to_string(i), "", {"lobby"}});
  auto bytes = cluster::encode_sockets_response("id", "n", all, 4000);
  EXPECT_LE(bytes.size(), 4000u);
  cluster::Response resp;
  ASSERT_TRUE(cluster::decode_response(bytes, resp));
  EXPECT_TRUE(resp.truncated);
  EXPECT_EQ(resp.total, 500u);
  ASSERT_TRUE(resp.sockets);
  EXPECT_GT(resp.sockets->size(), 0u);
  EXPECT_LT(resp.sockets->size(), 500u);
  // Within the bound: the whole list, no note.
  ASSERT_TRUE(cluster::decode_response(cluster::encode_sockets_response("id", "n", all, 0), resp));
  EXPECT_FALSE(resp.truncated);
  EXPECT_EQ(resp.sockets->size(), 500u);
}

TEST(ClusterNodePeers, AllSocketsRequestAndIdsAnswer) {
  cluster::Request r;
  ASSERT_TRUE(
      cluster::decode_request(R"({"uid":"AbC123","requestId":"q1","type":0,"rooms":["team"]})", r));
  EXPECT_EQ(r.kind, cluster::RequestKind::all_sockets);
  EXPECT_EQ(r.uid, "AbC123");
  EXPECT_EQ(r.rooms, std::vector<std::string>{"team"});
  ASSERT_TRUE(cluster::decode_request(R"({"uid":"x","requestId":"q2","type":0,"rooms":[]})", r));
  EXPECT_TRUE(r.rooms.empty());
  EXPECT_FALSE(cluster::decode_request(R"({"uid":"x","requestId":"q3","type":0,"rooms":{}})", r));
  auto bytes = cluster::encode_socket_ids_response("q1", "n", {"s1", "s2"});
  EXPECT_EQ(json::parse(bytes),
            json::parse(R"({"requestId":"q1","node":"n","sockets":["s1","s2"]})"));
  cluster::Response resp;
  ASSERT_TRUE(cluster::decode_response(bytes, resp));
  ASSERT_TRUE(resp.sockets);
  ASSERT_EQ(resp.sockets->size(), 2u);
  EXPECT_EQ((*resp.sockets)[1].id, "s2");
}

static std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// Bytes from notepack.io 3.0.1 (what @socket.io/redis-adapter 8 publishes).
TEST(ClusterNodePeers, BroadcastWithAcksFromANodePeer) {
  emitter::AckBroadcast a;
  ASSERT_EQ(emitter::decode_ack_broadcast(
                unhex("85a3756964a6416243313233a9726571756573744964a27231a47479706507a67061636b"
                      "657483a47479706502a46461746192a361736b01a36e7370a12fa46f70747383a5726f6f"
                      "6d7391a47465616da665786365707491a178a5666c61677381a774696d656f7574cd0bb8"),
                a),
            emitter::DecodeError::None);
  EXPECT_EQ(a.request_id, "r1");
  EXPECT_EQ(a.broadcast.uid, "AbC123");
  EXPECT_EQ(a.broadcast.nsp, "/");
  EXPECT_EQ(json::value(a.broadcast.data), json::parse(R"(["ask",1])"));
  EXPECT_EQ(a.broadcast.rooms, std::vector<std::string>{"team"});
  EXPECT_EQ(a.broadcast.except, std::vector<std::string>{"x"});
  EXPECT_EQ(a.timeout_ms, 3000u);
  // A binary argument becomes a placeholder and an attachment.
  ASSERT_EQ(emitter::decode_ack_broadcast(
                unhex("85a3756964a6416243313233a9726571756573744964a27232a47479706507a67061636b"
                      "657483a47479706502a46461746192a361736bc4020102a36e7370a12fa46f70747383a5"
                      "726f6f6d7390a665786365707490a5666c61677380"),
                a),
            emitter::DecodeError::None);
  ASSERT_EQ(a.broadcast.attachments.size(), 1u);
  EXPECT_EQ(a.broadcast.attachments[0], std::string("\x01\x02", 2));
  EXPECT_EQ(a.timeout_ms, 0u);
  // Answers: the count in JSON, each ack in msgpack as notepack writes it.
  EXPECT_EQ(json::parse(emitter::encode_client_count("r1", 2)),
            json::parse(R"({"type":8,"requestId":"r1","clientCount":2})"));
  EXPECT_EQ(emitter::encode_broadcast_ack("r1", json::value("ok")),
            unhex("83a47479706509a9726571756573744964a27231a67061636b6574a26f6b"));
  // Not a broadcast request, or broken.
  EXPECT_EQ(emitter::decode_ack_broadcast(unhex("81a47479706505"), a),
            emitter::DecodeError::UnknownRequest);  // {type: 5}
  EXPECT_EQ(emitter::decode_ack_broadcast(unhex("82a47479706507a9726571756573744964a27231"), a),
            emitter::DecodeError::BadShape);  // no packet
  EXPECT_EQ(emitter::decode_ack_broadcast(unhex("85a375"), a), emitter::DecodeError::NotMsgpack);
}

TEST(ClusterNodePeers, RemoteJoinLeaveDisconnectOfOneSocket) {
  // What a socket.io-redis 6 peer's remoteJoin(sid, room) & co. publish.
  cluster::Request r;
  ASSERT_TRUE(cluster::decode_request(
      R"({"uid":"AbC123","requestId":"q1","type":2,"sid":"s1","room":"team"})", r));
  EXPECT_EQ(r.kind, cluster::RequestKind::remote_join);
  EXPECT_EQ(r.uid, "AbC123");
  EXPECT_EQ(r.request_id, "q1");
  EXPECT_EQ(r.sid, "s1");
  EXPECT_EQ(r.targets, std::vector<std::string>{"team"});
  ASSERT_TRUE(cluster::decode_request(
      R"({"uid":"x","requestId":"q2","type":3,"sid":"s1","room":["a","b"]})", r));
  EXPECT_EQ(r.kind, cluster::RequestKind::remote_leave);
  EXPECT_EQ(r.targets, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(cluster::decode_request(
      R"({"uid":"x","requestId":"q3","type":4,"sid":"s1","close":true})", r));
  EXPECT_EQ(r.kind, cluster::RequestKind::remote_disconnect);
  EXPECT_TRUE(r.close);
  ASSERT_TRUE(cluster::decode_request(R"({"uid":"x","requestId":"q4","type":4,"sid":"s2"})", r));
  EXPECT_EQ(r.sid, "s2");
  EXPECT_FALSE(r.close);
  // Round trip.
  cluster::Request out;
  out.kind = cluster::RequestKind::remote_join;
  out.uid = "me";
  out.request_id = "me-1";
  out.sid = "s9";
  out.targets = {"lobby"};
  ASSERT_TRUE(cluster::decode_request(cluster::encode_request(out), r));
  EXPECT_EQ(r.kind, cluster::RequestKind::remote_join);
  EXPECT_EQ(r.sid, "s9");
  EXPECT_EQ(r.targets, std::vector<std::string>{"lobby"});
  // Bad or not ours: left untouched.
  r = {};
  for (
      const char* bad : {
          R"({"uid":"x","requestId":"q","type":2,"room":"a"})",               // no sid
          R"({"uid":"x","requestId":"q","type":2,"sid":"","room":"a"})",      // empty sid
          R"({"uid":"x","requestId":"q","type":2,"sid":7,"room":"a"})",       // sid not a string
          R"({"uid":"x","requestId":"q","type":2,"sid":"s"})",                // no room
          R"({"uid":"x","requestId":"q","type":3,"sid":"s","room":""})",      // empty room
          R"({"uid":"x","requestId":"q","type":3,"sid":"s","room":[]})",      // no rooms
          R"({"uid":"x","requestId":"q","type":3,"sid":"s","room":{}})",      // wrong type
          R"({"uid":"x","requestId":"q","type":4,"sid":"s","close":"yes"})",  // close not a bool
          R"({"uid":"x","type":2,"sid":"s","room":"a"})",                     // no requestId
          // By opts: a socketsJoin, the EmitterBridge's.
          R"({"uid":"x","requestId":"q","type":2,"opts":{"rooms":["s"]},"rooms":["a"],"sid":"s","room":"a"})",
      })
    EXPECT_FALSE(cluster::decode_request(bad, r)) << bad;
  EXPECT_TRUE(r.sid.empty());
  EXPECT_EQ(json::parse(cluster::encode_done_response("q1")), json::parse(R"({"requestId":"q1"})"));
}
