#include "gateways/inter_service/recovery_log_codec.hpp"

#include <gtest/gtest.h>

#include "net/wire.hpp"

using namespace sb;
using namespace sb::inter_service;

namespace {

std::string text_of(const sio::Broadcast& b) {
  const auto& w = *b.wires.at(0);
  return std::string(w.payload());
}

}  // namespace

TEST(RecoveryLogCodec, EntryBecomesABroadcastWithItsIdAsOffset) {
  emitter::Broadcast in;
  in.uid = "node1";
  in.nsp = "/chat";
  in.data = boost::json::array{"news", 1, "two"};
  in.rooms = {"r1"};
  in.except = {"sidX"};
  auto b =
      broadcast_from_entry(protocol::StreamId{1700000000000, 3}, emitter::encode_broadcast(in));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->nsp, "/chat");
  EXPECT_EQ(b->rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(b->except, std::vector<std::string>{"sidX"});
  EXPECT_EQ(b->stream_id, (protocol::StreamId{1700000000000, 3}));
  EXPECT_FALSE(b->is_volatile);
  EXPECT_NE(text_of(*b).find(R"(42/chat,["news",1,"two","1700000000000-3"])"), std::string::npos)
      << text_of(*b);
  EXPECT_TRUE(sio::broadcast_reaches(*b, "sidA", {"r1"}));
  EXPECT_FALSE(sio::broadcast_reaches(*b, "sidX", {"r1"}));
  EXPECT_FALSE(sio::broadcast_reaches(*b, "sidA", {"r2"}));
}

TEST(RecoveryLogCodec, WithoutAnIdNoOffsetIsAdded) {
  emitter::Broadcast in;
  in.data = boost::json::array{"news", 1};
  auto b = broadcast_from_entry(protocol::StreamId{}, in);
  ASSERT_TRUE(b);
  EXPECT_NE(text_of(*b).find(R"(42["news",1])"), std::string::npos) << text_of(*b);
}

TEST(RecoveryLogCodec, BadEntriesAreRefused) {
  EXPECT_FALSE(broadcast_from_entry(protocol::StreamId{1, 1}, std::string_view("not msgpack")));
  EXPECT_FALSE(broadcast_from_entry(protocol::StreamId{1, 1}, std::string_view()));
  emitter::Broadcast no_event;
  no_event.data = boost::json::array{1, 2};
  EXPECT_FALSE(broadcast_from_entry(protocol::StreamId{1, 1}, no_event));
}

TEST(RecoveryLogCodec, SessionRoundTrip) {
  sio::SavedSession s{"pid1", "sid1", "/chat", "alice", {"r1", "user:alice"}, 0};
  auto back = decode_session(encode_session(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sid, "sid1");
  EXPECT_EQ(back->nsp, "/chat");
  EXPECT_EQ(back->user_id, "alice");
  EXPECT_EQ(back->rooms, (std::vector<std::string>{"r1", "user:alice"}));
  EXPECT_TRUE(back->pid.empty());  // the pid is the key, not the value
}

TEST(RecoveryLogCodec, BadSessionsAreRefused) {
  for (const char* bad : {"", "{", "[]", "{}", R"({"sid":"a","nsp":"/","user":""})",
                          R"({"sid":"a","nsp":"/","user":"","rooms":[1]})",
                          R"({"sid":1,"nsp":"/","user":"","rooms":[]})"})
    EXPECT_FALSE(decode_session(bad)) << bad;
}

TEST(RecoveryLogCodec, AnEmitBecomesAnEntryAndBackWithTheJetStreamOffset) {
  const std::vector<std::string> rooms{"r1"}, except{"sidX"};
  const boost::json::array args{1, "two"};
  const std::vector<sio::Bytes> attachments;
  auto entry = entry_of_emit(
      sio::ClusterEmit{"/chat", rooms, except, false, "news", args, attachments}, "node1");
  EXPECT_EQ(entry.uid, "node1");
  EXPECT_EQ(entry.nsp, "/chat");
  EXPECT_EQ(entry.rooms, rooms);
  EXPECT_EQ(entry.except, except);
  auto b = broadcast_from_entry(protocol::StreamId{0, 42}, emitter::encode_broadcast(entry));
  ASSERT_TRUE(b);
  EXPECT_NE(text_of(*b).find(R"(42/chat,["news",1,"two","0-42"])"), std::string::npos)
      << text_of(*b);
}
