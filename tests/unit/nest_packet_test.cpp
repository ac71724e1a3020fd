#include "protocol/nest_packet.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace json = boost::json;
using namespace sb::nest;

TEST(NestPattern, NormalisesLikeNest) {
  EXPECT_EQ(*normalize_pattern(json::parse(R"("user.created")")), "user.created");
  EXPECT_EQ(*normalize_pattern(json::parse("42")), "42");
  EXPECT_EQ(*normalize_pattern(json::parse(R"({"cmd":"sum"})")), R"({"cmd":"sum"})");
  EXPECT_EQ(*normalize_pattern(json::parse(R"({"role":"math","cmd":"sum"})")),
            R"({"cmd":"sum","role":"math"})");
  EXPECT_EQ(*normalize_pattern(json::parse(R"({"b":{"y":1,"x":"q\"s"},"a":true})")),
            R"({"a":true,"b":{"x":"q\"s","y":1}})");
  EXPECT_FALSE(normalize_pattern(json::parse("null")));
  EXPECT_FALSE(normalize_pattern(json::parse("[1]")));
  EXPECT_FALSE(normalize_pattern(json::parse(R"({"a":{"b":{"c":{"d":{"e":{"f":1}}}}}})")));
  json::object big;
  for (int i = 0; i < 21; ++i) big[std::to_string(i)] = i;
  EXPECT_FALSE(normalize_pattern(big));
}

TEST(NestInbound, RequestEventAndExternal) {
  Inbound in;
  ASSERT_EQ(decode_inbound(R"({"pattern":"sum","data":[1,2],"id":"abc"})", "sum", in),
            DecodeError::None);
  EXPECT_EQ(in.pattern, "sum");
  EXPECT_EQ(json::serialize(in.data), "[1,2]");
  EXPECT_EQ(in.id, "abc");
  EXPECT_FALSE(in.external);

  ASSERT_EQ(decode_inbound(R"({"pattern":{"cmd":"x"},"data":null})", "ch", in), DecodeError::None);
  EXPECT_EQ(in.pattern, R"({"cmd":"x"})");
  EXPECT_FALSE(in.id);

  ASSERT_EQ(decode_inbound(R"({"hello":1})", "orders.new", in), DecodeError::None);
  EXPECT_TRUE(in.external);
  EXPECT_EQ(in.pattern, "orders.new");
  EXPECT_EQ(json::serialize(in.data), R"({"hello":1})");

  ASSERT_EQ(decode_inbound("not json", "raw", in), DecodeError::None);
  EXPECT_TRUE(in.external);
  EXPECT_EQ(in.data.as_string(), "not json");
}

// Read as text first, invalid UTF-8 as U+FFFD, as Node reads it before Nest.
TEST(NestInbound, ReadsInvalidUtf8AsReplacementCharacters) {
  Inbound in;
  ASSERT_EQ(decode_inbound("not \xFF json\xE2\x82", "raw", in), DecodeError::None);
  EXPECT_TRUE(in.external);
  EXPECT_EQ(in.data.as_string(), "not \xEF\xBF\xBD json\xEF\xBF\xBD");
  ASSERT_EQ(decode_inbound("{\"pattern\":\"sum\",\"data\":\"\xC0\xAF\",\"id\":\"a\"}", "sum", in),
            DecodeError::None);
  EXPECT_FALSE(in.external);
  EXPECT_EQ(in.id, "a");
  EXPECT_EQ(in.data.as_string(), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(NestInbound, RefusesBadInput) {
  Inbound in;
  EXPECT_EQ(decode_inbound(std::string(100, 'x'), "c", in, 10), DecodeError::TooLarge);
  EXPECT_EQ(decode_inbound(R"({"pattern":null,"data":1})", "c", in), DecodeError::BadPattern);
  EXPECT_EQ(decode_inbound(R"({"pattern":"p","data":1,"id":{}})", "c", in), DecodeError::BadId);
}

TEST(NestEncode, EnvelopesAndResponses) {
  EXPECT_EQ(encode_event("user.created", json::parse(R"({"id":42})")),
            R"({"pattern":"user.created","data":{"id":42}})");
  EXPECT_EQ(encode_request("sum", json::parse("[1,2]"), "id1"),
            R"({"pattern":"sum","data":[1,2],"id":"id1"})");
  EXPECT_EQ(encode_response("id1", json::value(3)),
            R"({"id":"id1","response":3,"isDisposed":true})");
  EXPECT_EQ(encode_error("id1", json::value("boom")),
            R"({"id":"id1","err":"boom","isDisposed":true})");
}

TEST(NestResponse, DecodesNestAndForeignReplies) {
  Response r;
  ASSERT_TRUE(decode_response(R"({"id":"a","response":3,"isDisposed":true})", r));
  EXPECT_EQ(r.id, "a");
  EXPECT_EQ(json::serialize(*r.response), "3");
  EXPECT_TRUE(r.disposed);
  EXPECT_FALSE(r.err);

  ASSERT_TRUE(decode_response(
      R"({"id":"b","err":"There is no matching message handler","status":"error"})", r));
  EXPECT_TRUE(r.err);
  EXPECT_TRUE(r.disposed);

  ASSERT_TRUE(decode_response(R"({"id":"c","response":1})", r));
  EXPECT_FALSE(r.disposed);  // a stream value; more will come

  ASSERT_TRUE(decode_response(R"({"id":"d","total":9})", r));
  EXPECT_TRUE(r.disposed);
  EXPECT_EQ(json::serialize(*r.response), R"({"id":"d","total":9})");

  EXPECT_FALSE(decode_response("[]", r));
  EXPECT_FALSE(decode_response(R"({"response":1})", r));
}

TEST(NestIds, AreTwentyOneUrlSafeCharacters) {
  auto a = new_request_id(), b = new_request_id();
  EXPECT_EQ(a.size(), 21u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

// Found by tests/fuzz (corpus/nest_packet/long_number_precision): decoding used
// boost::json::parse, whose doubles can be off by an ulp, so a number forwarded
// through a Nest message changed on the way.
TEST(NestInbound, KeepsNumbersExact) {
  Inbound in;
  ASSERT_EQ(decode_inbound(
                R"({"pattern":"p","data":[238.20188140736326,5555555555555555555555.5]})", "c", in),
            DecodeError::None);
  EXPECT_EQ(in.data.as_array()[0].as_double(), 238.20188140736326);
  EXPECT_EQ(in.data.as_array()[1].as_double(), 5555555555555555555555.5);
  const std::string wire = encode_event(in.pattern, in.data);
  Inbound again;
  ASSERT_EQ(decode_inbound(wire, "c", again), DecodeError::None);
  EXPECT_EQ(again.data, in.data);
}
