#include "protocol/socketio_packet.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace std::string_literals;
namespace json = boost::json;
using sb::sio::DecodeError;
using sb::sio::Limits;
using sb::sio::Packet;
using sb::sio::PacketType;

namespace {

Packet decode_ok(std::string_view text, const Limits& limits = {}) {
  Packet p;
  const DecodeError err = sb::sio::decode(text, p, limits);
  EXPECT_EQ(err, DecodeError::None) << text << ": " << sb::sio::to_string(err);
  return p;
}

DecodeError decode_err(std::string_view text, const Limits& limits = {}) {
  Packet p;
  return sb::sio::decode(text, p, limits);
}

std::string enc(const Packet& p) {
  std::string out;
  sb::sio::encode(p, out);
  return out;
}

std::string js(double d) {
  return sb::sio::to_json(json::value(d));
}

// Decoding then re-encoding must give back the exact text.
void expect_round_trip(std::string_view text) {
  Packet p = decode_ok(text);
  EXPECT_EQ(enc(p), text);
}

}  // namespace

// ---- spec examples -------------------------------------------------------------------------

TEST(SioDecode, ConnectMainNamespace) {
  Packet p = decode_ok("0");
  EXPECT_EQ(p.type, PacketType::Connect);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_FALSE(p.id);
  EXPECT_EQ(p.attachments, 0u);
  EXPECT_TRUE(p.data.is_null());
}

TEST(SioDecode, ConnectWithNamespaceAndPayload) {
  Packet p = decode_ok("0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
  EXPECT_EQ(p.type, PacketType::Connect);
  EXPECT_EQ(p.nsp, "/admin");
  ASSERT_TRUE(p.data.is_object());
  EXPECT_EQ(p.data.at("sid").as_string(), "oSO0OpakMV_3jnilAAAA");
}

TEST(SioDecode, ConnectWithAuth) {
  Packet p = decode_ok("0{\"token\":\"123\"}");
  EXPECT_EQ(p.nsp, "/");
  EXPECT_EQ(p.data.at("token").as_string(), "123");
}

TEST(SioDecode, NamespaceWithAndWithoutTrailingComma) {
  EXPECT_EQ(decode_ok("0/custom").nsp, "/custom");
  EXPECT_EQ(decode_ok("0/custom,").nsp, "/custom");
  Packet p = decode_ok("1/admin,");
  EXPECT_EQ(p.type, PacketType::Disconnect);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_TRUE(p.data.is_null());
  EXPECT_EQ(decode_ok("1").nsp, "/");
  EXPECT_EQ(decode_ok("0/").nsp, "/");
}

TEST(SioDecode, ConnectError) {
  Packet p = decode_ok("4{\"message\":\"Not authorized\"}");
  EXPECT_EQ(p.type, PacketType::ConnectError);
  EXPECT_EQ(p.data.at("message").as_string(), "Not authorized");
  p = decode_ok("4/random,{\"message\":\"Invalid namespace\"}");
  EXPECT_EQ(p.nsp, "/random");
  p = decode_ok("4\"plain string\"");
  EXPECT_EQ(p.data.as_string(), "plain string");
}

TEST(SioDecode, Events) {
  Packet p = decode_ok("2[\"foo\"]");
  EXPECT_EQ(p.type, PacketType::Event);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_FALSE(p.id);
  EXPECT_EQ(p.data.as_array().at(0).as_string(), "foo");

  p = decode_ok("2/admin,[\"bar\"]");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data.as_array().at(0).as_string(), "bar");

  p = decode_ok("212[\"foo\"]");  // "4212[...]" without the Engine.IO digit
  ASSERT_TRUE(p.id);
  EXPECT_EQ(*p.id, 12u);
  EXPECT_EQ(p.nsp, "/");

  p = decode_ok("2/admin,7[\"x\",1,{\"a\":[true,null]}]");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(*p.id, 7u);
  EXPECT_EQ(p.data.as_array().size(), 3u);

  p = decode_ok("2[42,\"numeric event name\"]");
  EXPECT_EQ(p.data.as_array().at(0).as_int64(), 42);
}

TEST(SioDecode, Ack) {
  Packet p = decode_ok("3/admin,13[\"bar\"]");
  EXPECT_EQ(p.type, PacketType::Ack);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(*p.id, 13u);
  EXPECT_EQ(p.data.as_array().at(0).as_string(), "bar");

  p = decode_ok("30[]");
  EXPECT_EQ(*p.id, 0u);
  EXPECT_TRUE(p.data.as_array().empty());
}

TEST(SioDecode, BinaryEvent) {
  Packet p = decode_ok("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]");
  EXPECT_EQ(p.type, PacketType::BinaryEvent);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_FALSE(p.id);
  EXPECT_TRUE(sb::sio::placeholders_valid(p.data, 1));

  p = decode_ok(
      "52-/admin,9[\"baz\",{\"_placeholder\":true,\"num\":0},"
      "{\"_placeholder\":true,\"num\":1}]");
  EXPECT_EQ(p.attachments, 2u);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(*p.id, 9u);
  EXPECT_TRUE(sb::sio::placeholders_valid(p.data, 2));
}

TEST(SioDecode, BinaryAck) {
  Packet p = decode_ok("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
  EXPECT_EQ(p.type, PacketType::BinaryAck);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(*p.id, 15u);
  EXPECT_TRUE(sb::sio::placeholders_valid(p.data, 1));
}

TEST(SioDecode, OutputUntouchedOnError) {
  Packet p;
  p.nsp = "/keep";
  EXPECT_EQ(sb::sio::decode("2{}", p), DecodeError::BadPayload);
  EXPECT_EQ(p.nsp, "/keep");
}

TEST(SioDecode, WhitespaceAroundJson) {
  Packet p = decode_ok("2 [\"foo\"] ");
  EXPECT_EQ(p.data.as_array().at(0).as_string(), "foo");
}

// ---- errors --------------------------------------------------------------------------------

TEST(SioDecode, EmptyAndUnknownType) {
  EXPECT_EQ(decode_err(""), DecodeError::Empty);
  EXPECT_EQ(decode_err("7"), DecodeError::UnknownType);
  EXPECT_EQ(decode_err("9[\"a\"]"), DecodeError::UnknownType);
  EXPECT_EQ(decode_err("a"), DecodeError::UnknownType);
  EXPECT_EQ(decode_err("/admin,"), DecodeError::UnknownType);
}

TEST(SioDecode, BadAttachments) {
  EXPECT_EQ(decode_err("5[\"a\"]"), DecodeError::BadAttachments);   // no count
  EXPECT_EQ(decode_err("5-[\"a\"]"), DecodeError::BadAttachments);  // empty count
  EXPECT_EQ(decode_err("51[\"a\"]"), DecodeError::BadAttachments);  // no '-'
  EXPECT_EQ(decode_err("5"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("51"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("5a-[\"a\"]"), DecodeError::BadAttachments);   // not a number
  EXPECT_EQ(decode_err("50-[\"a\"]"), DecodeError::BadAttachments);   // zero
  EXPECT_EQ(decode_err("511-[\"a\"]"), DecodeError::BadAttachments);  // above 10
  EXPECT_EQ(decode_err("599999999999999999999-[\"a\"]"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("6[\"a\"]"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("6/admin,1-[]"), DecodeError::BadAttachments);  // count after nsp
  // A count on a non-binary type.
  EXPECT_EQ(decode_err("21-[\"a\"]"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("31-1[]"), DecodeError::BadAttachments);
  EXPECT_EQ(decode_err("01-"), DecodeError::BadAttachments);
  // The limit is configurable, and the boundary is inclusive.
  Limits limits;
  limits.max_attachments = 3;
  EXPECT_EQ(decode_ok("53-[\"a\"]", limits).attachments, 3u);
  EXPECT_EQ(decode_err("54-[\"a\"]", limits), DecodeError::BadAttachments);
  EXPECT_EQ(decode_ok("510-[\"a\"]").attachments, 10u);
  EXPECT_EQ(decode_ok("5010-[\"a\"]").attachments, 10u);
}

TEST(SioDecode, BadNamespace) {
  Limits limits;
  limits.max_nsp_length = 6;
  EXPECT_EQ(decode_ok("0/admin", limits).nsp, "/admin");
  EXPECT_EQ(decode_ok("0/admin,", limits).nsp, "/admin");
  EXPECT_EQ(decode_err("0/admins", limits), DecodeError::BadNamespace);
  EXPECT_EQ(decode_err("2/admins,[\"a\"]", limits), DecodeError::BadNamespace);
  EXPECT_EQ(decode_err("0/" + std::string(300, 'a')), DecodeError::BadNamespace);
  EXPECT_EQ(decode_ok("0/" + std::string(255, 'a')).nsp.size(), 256u);
}

TEST(SioDecode, BadAckId) {
  EXPECT_EQ(*decode_ok("31234567890123456789[]").id, 1234567890123456789u);  // 19 digits
  EXPECT_EQ(*decode_ok("39999999999999999999[]").id, 9999999999999999999u);
  EXPECT_EQ(decode_err("312345678901234567890[]"), DecodeError::BadAckId);  // 20 digits
  EXPECT_EQ(decode_err("318446744073709551616[]"), DecodeError::BadAckId);  // 2^64
  EXPECT_EQ(decode_err("2/a,99999999999999999999999[\"x\"]"), DecodeError::BadAckId);
  EXPECT_EQ(*decode_ok("3007[]").id, 7u);  // leading zeros
}

TEST(SioDecode, BadJson) {
  EXPECT_EQ(decode_err("2abc[\"foo\"]"), DecodeError::BadJson);  // spec: 42abc[...]
  EXPECT_EQ(decode_err("2[\"foo\""), DecodeError::BadJson);
  EXPECT_EQ(decode_err("2[\"foo\"]x"), DecodeError::BadJson);  // trailing garbage
  EXPECT_EQ(decode_err("2[\"foo\"][]"), DecodeError::BadJson);
  EXPECT_EQ(decode_err("2[\"foo\",]"), DecodeError::BadJson);
  EXPECT_EQ(decode_err("2[\"foo\"/*c*/]"), DecodeError::BadJson);
  EXPECT_EQ(decode_err("0{'a':1}"), DecodeError::BadJson);
  EXPECT_EQ(decode_err("2[\"\xff\"]"), DecodeError::BadJson);  // invalid UTF-8
  EXPECT_EQ(decode_err("0/admin,{"), DecodeError::BadJson);
}

TEST(SioDecode, DeepJsonRejected) {
  auto nested = [](size_t depth) {
    return "2[\"e\"," + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "]";
  };
  EXPECT_EQ(decode_err(nested(32)), DecodeError::None);
  EXPECT_EQ(decode_err(nested(33)), DecodeError::BadJson);
  EXPECT_EQ(decode_err(nested(5000)), DecodeError::BadJson);
  Limits limits;
  limits.max_json_depth = 4;
  EXPECT_EQ(decode_err(nested(4), limits), DecodeError::None);
  EXPECT_EQ(decode_err(nested(5), limits), DecodeError::BadJson);
  EXPECT_EQ(decode_err("0{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", limits), DecodeError::None);
  EXPECT_EQ(decode_err("0{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", limits), DecodeError::BadJson);
}

TEST(SioDecode, BadPayload) {
  // CONNECT: absent or object.
  EXPECT_EQ(decode_err("0[]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("0\"x\""), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("0/admin,null"), DecodeError::BadPayload);
  // DISCONNECT: absent.
  EXPECT_EQ(decode_err("1{}"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("1/admin,[]"), DecodeError::BadPayload);
  // EVENT: non-empty array, element 0 string or number.
  EXPECT_EQ(decode_err("2{}"), DecodeError::BadPayload);  // spec: 42{}
  EXPECT_EQ(decode_err("2[]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2/admin,"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2[null]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2[{}]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2[[\"a\"]]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2[true]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("2\"foo\""), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("51-{}"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("51-[]"), DecodeError::BadPayload);
  // ACK: array and an id.
  EXPECT_EQ(decode_err("3[]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("3/admin,[\"x\"]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("31{}"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("31"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("61-[]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("61-1{}"), DecodeError::BadPayload);
  // CONNECT_ERROR: object or string.
  EXPECT_EQ(decode_err("4[]"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("4"), DecodeError::BadPayload);
  EXPECT_EQ(decode_err("4null"), DecodeError::BadPayload);
}

TEST(SioDecode, ReservedEvents) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                           "removeListener"}) {
    EXPECT_TRUE(sb::sio::is_reserved_event(name));
    EXPECT_EQ(decode_err("2[\""s + name + "\"]"), DecodeError::ReservedEvent) << name;
    EXPECT_EQ(decode_err("2/admin,5[\""s + name + "\",1]"), DecodeError::ReservedEvent) << name;
    EXPECT_EQ(decode_err("51-[\""s + name + "\",{\"_placeholder\":true,\"num\":0}]"),
              DecodeError::ReservedEvent);
  }
  EXPECT_FALSE(sb::sio::is_reserved_event("Connect"));
  EXPECT_FALSE(sb::sio::is_reserved_event("connected"));
  EXPECT_FALSE(sb::sio::is_reserved_event(""));
  decode_ok("2[\"Connect\"]");
  decode_ok("2[\"message\",\"connect\"]");  // only element 0 is the name
  decode_ok("31[\"disconnect\"]");          // acks carry no event name
}

TEST(SioDecode, ErrorStrings) {
  for (auto e : {DecodeError::None, DecodeError::Empty, DecodeError::UnknownType,
                 DecodeError::BadAttachments, DecodeError::BadNamespace, DecodeError::BadAckId,
                 DecodeError::BadJson, DecodeError::BadPayload, DecodeError::ReservedEvent}) {
    ASSERT_NE(sb::sio::to_string(e), nullptr);
    EXPECT_GT(std::string(sb::sio::to_string(e)).size(), 1u);
  }
  EXPECT_STREQ(sb::sio::to_string(DecodeError::BadJson), "invalid JSON");
  EXPECT_STRNE(sb::sio::to_string(DecodeError::BadJson),
               sb::sio::to_string(DecodeError::BadPayload));
}

// ---- encoding ------------------------------------------------------------------------------

TEST(SioEncode, SpecExamples) {
  Packet p;
  p.type = PacketType::Connect;
  EXPECT_EQ(enc(p), "0");

  p.nsp = "/admin";
  p.data = json::object{{"sid", "oSO0OpakMV_3jnilAAAA"}};
  EXPECT_EQ(enc(p), "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");

  p = Packet{};
  p.type = PacketType::ConnectError;
  p.data = json::object{{"message", "Not authorized"}};
  EXPECT_EQ(enc(p), "4{\"message\":\"Not authorized\"}");

  p = Packet{};
  p.type = PacketType::Event;
  p.data = json::array{"foo"};
  EXPECT_EQ(enc(p), "2[\"foo\"]");
  p.id = 12;
  EXPECT_EQ(enc(p), "212[\"foo\"]");

  p = Packet{};
  p.type = PacketType::Ack;
  p.nsp = "/admin";
  p.id = 13;
  p.data = json::array{"bar"};
  EXPECT_EQ(enc(p), "3/admin,13[\"bar\"]");

  p = Packet{};
  p.type = PacketType::Disconnect;
  p.nsp = "/admin";
  EXPECT_EQ(enc(p), "1/admin,");

  p = Packet{};
  p.type = PacketType::BinaryEvent;
  p.attachments = 1;
  p.data = json::array{"baz", json::object{{"_placeholder", true}, {"num", 0}}};
  EXPECT_EQ(enc(p), "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]");

  p.type = PacketType::BinaryAck;
  p.id = 15;
  p.data = json::array{"bar", json::object{{"_placeholder", true}, {"num", 0}}};
  EXPECT_EQ(enc(p), "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]");
}

TEST(SioEncode, AttachmentsOnlyForBinaryTypes) {
  Packet p;
  p.type = PacketType::Event;
  p.attachments = 3;  // ignored for non-binary types
  p.data = json::array{"x"};
  EXPECT_EQ(enc(p), "2[\"x\"]");
  p.type = PacketType::BinaryEvent;
  p.attachments = 0;  // no count when zero
  EXPECT_EQ(enc(p), "5[\"x\"]");
}

TEST(SioEncode, AppendsToExistingOutput) {
  std::string out = "4";  // Engine.IO message prefix
  Packet p;
  p.data = json::array{"hi"};
  sb::sio::encode(p, out);
  EXPECT_EQ(out, "42[\"hi\"]");
}

TEST(SioEncode, Raw) {
  std::string out;
  sb::sio::encode_raw(PacketType::Event, "/", std::nullopt, 0, "[\"a\",1]", out);
  EXPECT_EQ(out, "2[\"a\",1]");
  out.clear();
  sb::sio::encode_raw(PacketType::BinaryAck, "/admin", 15, 2, "[]", out);
  EXPECT_EQ(out, "62-/admin,15[]");
  out.clear();
  sb::sio::encode_raw(PacketType::Connect, "/custom", std::nullopt, 0, "", out);
  EXPECT_EQ(out, "0/custom,");
  out.clear();
  sb::sio::encode_raw(PacketType::Event, "", 0, 0, "[\"x\"]", out);  // empty nsp means "/"
  EXPECT_EQ(out, "20[\"x\"]");
  out.clear();
  sb::sio::encode_raw(PacketType::Ack, "/", UINT64_MAX, 0, "[]", out);
  EXPECT_EQ(out, "318446744073709551615[]");
}

TEST(SioEncode, RoundTrips) {
  for (const char* text : {
           "0",
           "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
           "0{\"token\":\"123\"}",
           "1/admin,",
           "1",
           "2[\"foo\"]",
           "2/admin,[\"bar\"]",
           "212[\"foo\"]",
           "3/admin,13[\"bar\"]",
           "30[]",
           "4{\"message\":\"Not authorized\"}",
           "4/random,{\"message\":\"Invalid namespace\"}",
           "4\"oops\"",
           "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]",
           "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
           "52-/nsp,3[\"e\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]",
           "2[\"e\",{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}]",  // key order kept
           "2[\"e\",1.5,-0.25,1e+21,1e-7,123456789012,-9223372036854775808,18446744073709551615]",
           "2[\"e\",\"quote\\\" backslash\\\\ nl\\n tab\\t ctl\\u0001 del\x7f é ✓ 😀\"]",
       }) {
    expect_round_trip(text);
  }
  // Non-canonical forms normalize.
  EXPECT_EQ(enc(decode_ok("0/custom")), "0/custom,");
  EXPECT_EQ(enc(decode_ok("3007[]")), "37[]");
  EXPECT_EQ(enc(decode_ok("2 [ \"a\" , 1.0 ] ")), "2[\"a\",1]");
  EXPECT_EQ(enc(decode_ok("2[\"\\u0041\\/\"]")), "2[\"A/\"]");
}

// ---- JSON output ---------------------------------------------------------------------------

TEST(SioJson, ScalarsAndContainers) {
  EXPECT_EQ(sb::sio::to_json(nullptr), "null");
  EXPECT_EQ(sb::sio::to_json(true), "true");
  EXPECT_EQ(sb::sio::to_json(false), "false");
  EXPECT_EQ(sb::sio::to_json(json::value(int64_t{-42})), "-42");
  EXPECT_EQ(sb::sio::to_json(json::value(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(sb::sio::to_json(json::value(UINT64_MAX)), "18446744073709551615");
  EXPECT_EQ(sb::sio::to_json(json::array{}), "[]");
  EXPECT_EQ(sb::sio::to_json(json::object{}), "{}");
  EXPECT_EQ(sb::sio::to_json(json::array{1, "a", nullptr, json::array{}, json::object{}}),
            "[1,\"a\",null,[],{}]");
  json::object o;
  o["z"] = 1;
  o["a"] = json::array{true};
  o["m"] = "x";
  EXPECT_EQ(sb::sio::to_json(o), "{\"z\":1,\"a\":[true],\"m\":\"x\"}");

  std::string out = "prefix:";
  sb::sio::append_json(out, json::array{1, 2});
  EXPECT_EQ(out, "prefix:[1,2]");
}

TEST(SioJson, StringEscapesLikeJsonStringify) {
  EXPECT_EQ(sb::sio::to_json(json::string("a\"b\\c")), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(sb::sio::to_json(json::string("\b\f\n\r\t")), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(sb::sio::to_json(json::string("\x01\x1f"s)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(sb::sio::to_json(json::string("\0"s)), "\"\\u0000\"");
  EXPECT_EQ(sb::sio::to_json(json::string("/\x7f<>&'")), "\"/\x7f<>&'\"");
  EXPECT_EQ(sb::sio::to_json(json::string("é ✓ 😀")), "\"é ✓ 😀\"");
  EXPECT_EQ(sb::sio::to_json(json::object{{"k\"ey\n", 1}}), "{\"k\\\"ey\\n\":1}");
}

TEST(SioJson, NumbersLikeJavaScript) {
  EXPECT_EQ(js(1.5), "1.5");
  EXPECT_EQ(js(3.0), "3");
  EXPECT_EQ(js(-3.0), "-3");
  EXPECT_EQ(js(0.0), "0");
  EXPECT_EQ(js(-0.0), "0");
  EXPECT_EQ(js(0.1), "0.1");
  EXPECT_EQ(js(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(js(-2.5), "-2.5");
  EXPECT_EQ(js(100.0), "100");
  EXPECT_EQ(js(123456789012.0), "123456789012");
  EXPECT_EQ(js(123456789012.5), "123456789012.5");
  EXPECT_EQ(js(9007199254740992.0), "9007199254740992");          // 2^53
  EXPECT_EQ(js(9007199254740993.0), "9007199254740992");          // rounds to 2^53
  EXPECT_EQ(js(18446744073709551616.0), "18446744073709552000");  // 2^64
  EXPECT_EQ(js(1e20), "100000000000000000000");
  EXPECT_EQ(js(1e21), "1e+21");
  EXPECT_EQ(js(-1e21), "-1e+21");
  EXPECT_EQ(js(1.5e21), "1.5e+21");
  EXPECT_EQ(js(1.2345e300), "1.2345e+300");
  EXPECT_EQ(js(1e-6), "0.000001");
  EXPECT_EQ(js(1.5e-6), "0.0000015");
  EXPECT_EQ(js(1e-7), "1e-7");
  EXPECT_EQ(js(1.5e-7), "1.5e-7");
  EXPECT_EQ(js(-1.5e-7), "-1.5e-7");
  EXPECT_EQ(js(123e-20), "1.23e-18");
  EXPECT_EQ(js(5e-324), "5e-324");
  EXPECT_EQ(js(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(js(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(js(std::nan("")), "null");
  EXPECT_EQ(js(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(js(-std::numeric_limits<double>::infinity()), "null");
}

TEST(SioJson, LargeIntegersFromTheWire) {
  // Fits uint64 -> printed exactly; beyond uint64 Boost.JSON yields a double.
  EXPECT_EQ(enc(decode_ok("2[\"e\",18446744073709551615]")), "2[\"e\",18446744073709551615]");
  EXPECT_EQ(enc(decode_ok("2[\"e\",-9223372036854775808]")), "2[\"e\",-9223372036854775808]");
  EXPECT_EQ(enc(decode_ok("2[\"e\",1e2,2.50,1E-7]")), "2[\"e\",100,2.5,1e-7]");
}

TEST(SioJson, DoublesFromTheWireArePrecise) {
  // Boost.JSON 1.81's own parse reads this as 238.20188140736329.
  EXPECT_EQ(enc(decode_ok("2[\"e\",238.20188140736326]")), "2[\"e\",238.20188140736326]");
  EXPECT_EQ(decode_ok("2[\"e\",238.20188140736326]").data.as_array()[1].as_double(),
            238.20188140736326);
  EXPECT_EQ(enc(decode_ok("2[\"e\",1e400,-1e400,1e-400]")), "2[\"e\",null,null,0]");  // as JS
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string text = "2[\"e\"," + js(d) + "," + js(d / 1e300) + "]";
    ASSERT_EQ(enc(decode_ok(text)), text);
  }
}

TEST(SioJson, LoneSurrogateEscapesRejected) {
  // JSON.parse accepts "\ud800"; Boost.JSON 1.81 has no option for it.
  EXPECT_EQ(decode_err("2[\"e\",\"\\ud800\"]"), DecodeError::BadJson);
  EXPECT_EQ(enc(decode_ok("2[\"e\",\"\\ud83d\\ude00\"]")), "2[\"e\",\"😀\"]");
}

// ---- placeholders --------------------------------------------------------------------------

TEST(SioPlaceholders, Valid) {
  auto ph = [](int n) { return json::object{{"_placeholder", true}, {"num", n}}; };
  EXPECT_TRUE(sb::sio::placeholders_valid(json::array{"a", 1}, 0));
  EXPECT_TRUE(sb::sio::placeholders_valid(nullptr, 0));
  EXPECT_TRUE(sb::sio::placeholders_valid(json::array{"a", ph(0)}, 1));
  EXPECT_TRUE(sb::sio::placeholders_valid(json::array{"a", ph(1), json::object{{"x", ph(0)}}}, 2));
  EXPECT_TRUE(sb::sio::placeholders_valid(
      json::array{"a", json::array{json::array{ph(2)}}, ph(0), json::object{{"k", ph(1)}}}, 3));
  // _placeholder not exactly true: an ordinary object.
  EXPECT_TRUE(sb::sio::placeholders_valid(
      json::array{json::object{{"_placeholder", false}, {"num", 0}}}, 0));
  EXPECT_TRUE(sb::sio::placeholders_valid(
      json::array{json::object{{"_placeholder", "true"}, {"num", 0}}}, 0));
  json::value parsed = json::parse("[\"e\",{\"_placeholder\":true,\"num\":0}]");
  EXPECT_TRUE(sb::sio::placeholders_valid(parsed, 1));
}

TEST(SioPlaceholders, Invalid) {
  auto ph = [](json::value n) { return json::object{{"_placeholder", true}, {"num", n}}; };
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{"a"}, 1));           // missing
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0)}, 0));         // unexpected
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0), ph(0)}, 2));  // duplicate
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0), ph(0)}, 1));  // duplicate
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(1)}, 1));         // gap
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0), ph(2)}, 2));  // gap
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(-1)}, 1));        // negative
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0.0)}, 1));       // not integer
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph("0")}, 1));       // string
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(UINT64_MAX)}, 1));
  EXPECT_FALSE(sb::sio::placeholders_valid(json::array{ph(0)}, UINT32_MAX));  // no huge alloc
  EXPECT_FALSE(
      sb::sio::placeholders_valid(json::array{json::object{{"_placeholder", true}}}, 1));  // no num
  EXPECT_FALSE(sb::sio::placeholders_valid(
      json::array{json::object{{"_placeholder", true}, {"num", 0}, {"x", 1}}}, 1));  // extra key
}

// ---- randomized ----------------------------------------------------------------------------

namespace {

json::value random_json(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 8 : 5);
  std::uniform_int_distribution<int> small(0, 5);
  std::uniform_int_distribution<int> ch(0, 0x7f);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return small(rng) % 2 == 0;
    case 2:
      return std::uniform_int_distribution<int64_t>(INT64_MIN, INT64_MAX)(rng);
    case 3:
      return std::uniform_int_distribution<uint64_t>(0, UINT64_MAX)(rng);
    case 4: {
      std::string s(static_cast<size_t>(small(rng)), ' ');
      for (auto& c : s) c = static_cast<char>(ch(rng));
      return json::string(s);
    }
    case 5:
      return static_cast<double>(small(rng)) + 0.5;  // exactly representable
    case 6:
    case 7: {
      json::array a;
      for (int i = small(rng); i > 0; --i) a.push_back(random_json(rng, depth - 1));
      return a;
    }
    default: {
      json::object o;
      for (int i = small(rng); i > 0; --i) {
        o[std::string(1, static_cast<char>('a' + small(rng)))] = random_json(rng, depth - 1);
      }
      return o;
    }
  }
}

}  // namespace

TEST(SioFuzz, EncodeDecodeRoundTrip) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> type(0, 6), coin(0, 1), att(1, 10);
  // Decode accepts at most 19 digits.
  std::uniform_int_distribution<uint64_t> id_dist(0, 9'999'999'999'999'999'999u);
  for (int iter = 0; iter < 2000; ++iter) {
    Packet p;
    p.type = static_cast<PacketType>(type(rng));
    if (coin(rng)) p.nsp = "/ns" + std::to_string(iter % 7);
    json::array args;
    args.push_back(json::string("ev" + std::to_string(iter)));
    for (int i = att(rng) % 4; i > 0; --i) args.push_back(random_json(rng, 4));
    switch (p.type) {
      case PacketType::Connect:
        if (coin(rng)) p.data = json::object{{"token", random_json(rng, 3)}};
        break;
      case PacketType::Disconnect:
        break;
      case PacketType::ConnectError:
        p.data = json::object{{"message", "nope"}};
        break;
      case PacketType::BinaryEvent:
      case PacketType::BinaryAck:
        p.attachments = static_cast<uint32_t>(att(rng));
        for (uint32_t n = 0; n < p.attachments; ++n) {
          args.push_back(json::object{{"_placeholder", true}, {"num", n}});
        }
        [[fallthrough]];
      case PacketType::Event:
      case PacketType::Ack:
        if (p.type == PacketType::Ack || p.type == PacketType::BinaryAck || coin(rng)) {
          p.id = id_dist(rng) >> (iter % 64);
        }
        p.data = args;
        break;
    }
    const std::string text = enc(p);
    Packet q;
    ASSERT_EQ(sb::sio::decode(text, q), DecodeError::None) << text;
    EXPECT_EQ(q.type, p.type);
    EXPECT_EQ(q.nsp, p.nsp);
    EXPECT_EQ(q.id, p.id);
    EXPECT_EQ(q.attachments, p.attachments);
    EXPECT_EQ(q.data, p.data) << text;
    EXPECT_EQ(enc(q), text);
    EXPECT_TRUE(sb::sio::placeholders_valid(q.data, q.attachments)) << text;
  }
}

TEST(SioFuzz, DoublesRoundTripThroughStrtod) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string s = js(d);
    ASSERT_EQ(std::strtod(s.c_str(), nullptr), d == 0 ? 0.0 : d) << s;
    ASSERT_EQ(s.find("e+0"), std::string::npos) << s;
    ASSERT_EQ(s.find("e-0"), std::string::npos) << s;
  }
}

TEST(SioFuzz, RandomInputNeverCrashes) {
  std::mt19937 rng(31337);
  const std::string alphabet = "0123456789-/,[]{}\":.eE+-truefalsn \\_placeholder";
  std::uniform_int_distribution<size_t> ai(0, alphabet.size() - 1), len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255), mode(0, 2);
  Limits limits;
  limits.max_json_depth = 8;
  for (int i = 0; i < 20000; ++i) {
    std::string s(len(rng), '\0');
    const int m = mode(rng);
    for (auto& c : s) c = m == 0 ? static_cast<char>(byte(rng)) : alphabet[ai(rng)];
    if (m == 2 && !s.empty()) s[0] = static_cast<char>('0' + i % 7);
    Packet p;
    if (sb::sio::decode(s, p, limits) == DecodeError::None) {
      // Whatever decodes must re-encode to something that decodes to the same packet.
      Packet q;
      const std::string again = enc(p);
      ASSERT_EQ(sb::sio::decode(again, q, limits), DecodeError::None) << s << " -> " << again;
      EXPECT_EQ(enc(q), again);
      (void)sb::sio::placeholders_valid(p.data, p.attachments);
    }
  }
}

TEST(SioFuzz, MutatedSpecPacketsNeverCrash) {
  const std::string seeds[] = {
      "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
      "212[\"foo\"]",
      "3/admin,13[\"bar\"]",
      "4{\"message\":\"Not authorized\"}",
      "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]",
      "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
      "2[\"e\",1.5,{\"a\":[1e21,-0.0,\"\\u0001\"]}]",
  };
  std::mt19937 rng(8080);
  std::uniform_int_distribution<int> op(0, 2), byte(0, 255), count(1, 4);
  const std::string interesting = "0123456789-/,[]{}\":";
  std::uniform_int_distribution<size_t> ii(0, interesting.size() - 1);
  size_t decoded = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    std::string s = seeds[static_cast<size_t>(iter) % std::size(seeds)];
    for (int m = count(rng); m > 0 && !s.empty(); --m) {
      const size_t at = std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
      const char c = byte(rng) < 192 ? interesting[ii(rng)] : static_cast<char>(byte(rng));
      switch (op(rng)) {
        case 0:
          s[at] = c;
          break;
        case 1:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          s.erase(at, 1);
      }
    }
    Packet p;
    if (sb::sio::decode(s, p) != DecodeError::None) continue;
    ++decoded;
    Packet q;
    const std::string again = enc(p);
    ASSERT_EQ(sb::sio::decode(again, q), DecodeError::None) << s << " -> " << again;
    EXPECT_EQ(q.type, p.type);
    EXPECT_EQ(q.nsp, p.nsp);
    EXPECT_EQ(q.id, p.id);
    EXPECT_EQ(q.attachments, p.attachments);
    // Compared as text: -0.0 legitimately comes back as the integer 0.
    EXPECT_EQ(enc(q), again);
  }
  EXPECT_GT(decoded, 1000u);  // mutations often stay valid, so the re-encode path is exercised
}
