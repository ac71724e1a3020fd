#include "protocol/emitter_message.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace json = boost::json;
// In the namespace, not `using namespace`: a unity build (SB_UNITY) must not leak
// sb::emitter names into the next test file.
namespace sb::emitter {

namespace {

std::string hex_bytes(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

// Captured from @socket.io/redis-emitter 5.1.0: e.emit("hello","world",1).
const char* kHello =
    "93a7656d697474657283a47479706502a46461746193a568656c6c6fa5776f726c6401a36e7370a12f83a5726f6f"
    "6d7390a5666c61677380a665786365707490";

}  // namespace

TEST(EmitterBroadcast, DecodesTheEmittersBytes) {
  Broadcast b;
  ASSERT_EQ(decode_broadcast(hex_bytes(kHello), b), DecodeError::None);
  EXPECT_EQ(b.uid, "emitter");
  EXPECT_EQ(b.nsp, "/");
  EXPECT_EQ(json::serialize(b.data), R"(["hello","world",1])");
  EXPECT_TRUE(b.rooms.empty());
  EXPECT_TRUE(b.except.empty());
  EXPECT_FALSE(b.is_volatile);
  EXPECT_TRUE(b.attachments.empty());
}

TEST(EmitterBroadcast, RoundTripsRoomsFlagsAndBinary) {
  Broadcast b;
  b.uid = "abc123";
  b.nsp = "/admin";
  b.data =
      json::parse(R"(["c",{"_placeholder":true,"num":0},{"x":[1.5,-2,null,true]}])").as_array();
  b.attachments = {std::string("\x01\x02\x03", 3)};
  b.rooms = {"r1", "r2"};
  b.except = {"r3"};
  b.is_volatile = true;
  Broadcast back;
  ASSERT_EQ(decode_broadcast(encode_broadcast(b), back), DecodeError::None);
  EXPECT_EQ(back.uid, "abc123");
  EXPECT_EQ(back.nsp, "/admin");
  EXPECT_EQ(json::serialize(back.data), json::serialize(b.data));
  EXPECT_EQ(back.attachments, b.attachments);
  EXPECT_EQ(back.rooms, b.rooms);
  EXPECT_EQ(back.except, b.except);
  EXPECT_TRUE(back.is_volatile);
}

TEST(EmitterBroadcast, TurnsDatesIntoIsoStrings) {
  // [uid, {type:2, data:["t", Date(0)]}, {}] with a timestamp 32 (fixext4, type -1).
  std::string m = hex_bytes("93a16582a47479706502a46461746192a174d6ff00000000") + hex_bytes("80");
  Broadcast b;
  ASSERT_EQ(decode_broadcast(m, b), DecodeError::None);
  EXPECT_EQ(json::serialize(b.data), R"(["t","1970-01-01T00:00:00.000Z"])");
}

// msgpack strings are UTF-8; a peer's invalid bytes read as U+FFFD (as Node
// reads them), so the packet sent on to clients is valid JSON text.
TEST(EmitterBroadcast, ReadsInvalidUtf8StringsAsReplacementCharacters) {
  // kHello with "world" as "w\xFFrld" and a data key "d\xC0" -> 2 strings.
  std::string m = hex_bytes(kHello);
  const size_t at = m.find("world");
  ASSERT_NE(at, std::string::npos);
  m[at + 1] = '\xFF';
  Broadcast b;
  ASSERT_EQ(decode_broadcast(m, b), DecodeError::None);
  EXPECT_EQ(json::serialize(b.data), "[\"hello\",\"w\xEF\xBF\xBDrld\",1]");
  // A map key too: {"d\xC0": 1} as the second argument.
  std::string k = hex_bytes("93a16582a47479706502a46461746192a17481a264c001") + hex_bytes("80");
  ASSERT_EQ(decode_broadcast(k, b), DecodeError::None);
  EXPECT_EQ(json::serialize(b.data), "[\"t\",{\"d\xEF\xBF\xBD\":1}]");
}

TEST(EmitterBroadcast, RefusesBadInput) {
  Broadcast b;
  const std::string good = hex_bytes(kHello);
  EXPECT_EQ(decode_broadcast("", b), DecodeError::NotMsgpack);
  EXPECT_EQ(decode_broadcast(good.substr(0, good.size() - 3), b), DecodeError::NotMsgpack);
  EXPECT_EQ(decode_broadcast(good + "x", b), DecodeError::NotMsgpack);
  EXPECT_EQ(decode_broadcast(hex_bytes("a3616263"), b), DecodeError::BadShape);  // "abc"
  EXPECT_EQ(decode_broadcast(good, b, Limits{10}), DecodeError::TooLarge);
  // type 3 (ACK) is not something to deliver
  std::string ack = good;
  ack[ack.find('\x02')] = '\x03';
  EXPECT_EQ(decode_broadcast(ack, b), DecodeError::NotAnEvent);
  // 40 nested arrays around the data
  std::string nested(40, '\x91');
  std::string deep = hex_bytes("93a16582a47479706502a46461746192a174") + nested + hex_bytes("c0") +
                     hex_bytes("80");
  EXPECT_EQ(decode_broadcast(deep, b), DecodeError::TooDeep);
}

// Found by tests/fuzz (corpus/emitter_message/array32_count_overflow): msgpuck's
// mp_check() overflowed its int counter on a 32-bit array length and passed a
// 5-byte message that the reader then read past the end of.
TEST(EmitterBroadcast, RefusesLengthsBeyondTheMessage) {
  Broadcast b;
  EXPECT_EQ(decode_broadcast(hex_bytes("dddd7c863a"), b), DecodeError::NotMsgpack);
  EXPECT_EQ(decode_broadcast(hex_bytes("dd7fffffff"), b), DecodeError::NotMsgpack);
  EXPECT_EQ(decode_broadcast(hex_bytes("93dfffffffff"), b), DecodeError::NotMsgpack);  // map32
  EXPECT_EQ(decode_broadcast(hex_bytes("93c1c0c0"), b), DecodeError::NotMsgpack);      // 0xc1
}

// Found by tests/fuzz (corpus/emitter_message/attachment_without_placeholder): a bin
// outside "data" became an attachment that no placeholder refers to.
TEST(EmitterBroadcast, RefusesAttachmentsOutsideTheData) {
  Broadcast b;
  // ["e", {type: 2, data: ["ev"], x: bin(1)}, nil]
  EXPECT_EQ(decode_broadcast(hex_bytes("93a16583a47479706502a46461746191a26576a178c40101c0"), b),
            DecodeError::BadShape);
  // ["e", {type: 2, data: ["ev", bin(1)], data: ["ev"]}, nil]: the repeated key wins
  EXPECT_EQ(decode_broadcast(
                hex_bytes("93a16583a47479706502a46461746192a26576c40101a46461746191a26576c0"), b),
            DecodeError::BadShape);
  // ["e", {type: 2, data: ["ev", bin(1)]}, nil] is fine
  ASSERT_EQ(decode_broadcast(hex_bytes("93a16582a47479706502a46461746192a26576c40101c0"), b),
            DecodeError::None);
  EXPECT_EQ(b.attachments.size(), 1u);
}

TEST(EmitterChannels, NamesAndRooms) {
  EXPECT_EQ(broadcast_channel("socket.io", "/"), "socket.io#/#");
  EXPECT_EQ(broadcast_channel("socket.io", "/admin", "room1"), "socket.io#/admin#room1#");
  EXPECT_EQ(request_channel("socket.io", "/"), "socket.io-request#/#");
  EXPECT_EQ(room_of_channel("socket.io", "/", "socket.io#/#"), "");
  EXPECT_EQ(room_of_channel("socket.io", "/", "socket.io#/#user:42#"), "user:42");
  EXPECT_FALSE(room_of_channel("socket.io", "/", "socket.io#/admin#"));
  EXPECT_FALSE(room_of_channel("socket.io", "/", "other#/#"));
}

TEST(EmitterRequests, JoinLeaveDisconnectServerSideEmit) {
  Request r;
  ASSERT_EQ(decode_request(R"({"type":2,"opts":{"rooms":[],"except":[]},"rooms":["room9"]})", r),
            DecodeError::None);
  EXPECT_EQ(r.type, RequestType::RemoteJoin);
  EXPECT_EQ(r.target_rooms, std::vector<std::string>{"room9"});
  ASSERT_EQ(decode_request(R"({"type":4,"opts":{"rooms":["room1"],"except":[]},"close":true})", r),
            DecodeError::None);
  EXPECT_EQ(r.type, RequestType::RemoteDisconnect);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(r.rooms, std::vector<std::string>{"room1"});
  ASSERT_EQ(decode_request(R"({"uid":"emitter","type":6,"data":["ping",42]})", r),
            DecodeError::None);
  EXPECT_EQ(r.type, RequestType::ServerSideEmit);
  EXPECT_EQ(json::serialize(r.data), R"(["ping",42])");

  EXPECT_EQ(decode_request("{bad", r), DecodeError::BadJson);
  EXPECT_EQ(decode_request(R"({"type":2,"rooms":[]})", r), DecodeError::BadJson);
  EXPECT_EQ(decode_request(R"({"type":0,"requestId":"x","uid":"a"})", r),
            DecodeError::UnknownRequest);
  EXPECT_EQ(decode_request(R"({"type":99})", r), DecodeError::UnknownRequest);
}

// What a cluster node publishes for socketsJoin / socketsLeave / disconnectSockets:
// the Node Redis adapter's JSON, read back by decode_request.
TEST(EmitterRequests, EncodesWhatDecodeReads) {
  Request join;
  join.type = RequestType::RemoteJoin;
  join.uid = "node1";
  join.rooms = {"a"};
  join.except = {"b"};
  join.target_rooms = {"c", "d"};
  const std::string text = encode_request(join);
  EXPECT_EQ(text,
            R"({"uid":"node1","type":2,"opts":{"rooms":["a"],"except":["b"]},"rooms":["c","d"]})");
  Request back;
  ASSERT_EQ(decode_request(text, back), DecodeError::None);
  EXPECT_EQ(back.type, RequestType::RemoteJoin);
  EXPECT_EQ(back.uid, "node1");
  EXPECT_EQ(back.rooms, join.rooms);
  EXPECT_EQ(back.except, join.except);
  EXPECT_EQ(back.target_rooms, join.target_rooms);

  Request bye;
  bye.type = RequestType::RemoteDisconnect;
  bye.close = true;
  EXPECT_EQ(encode_request(bye), R"({"type":4,"opts":{"rooms":[],"except":[]},"close":true})");
  ASSERT_EQ(decode_request(encode_request(bye), back), DecodeError::None);
  EXPECT_EQ(back.type, RequestType::RemoteDisconnect);
  EXPECT_TRUE(back.close);
  EXPECT_TRUE(back.uid.empty());
}

}  // namespace sb::emitter
