#include "gateways/inter_service/message_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "gateways/inter_service/broker_factory.hpp"
#include "protocol/utf8.hpp"

using namespace sb::inter_service;
namespace json = boost::json;

TEST(MessageCodec, NestEnvelopesOnRedisAndNats) {
  Message m{.topic = "user.created", .payload = R"({"pattern":"user.created","data":{"id":42}})"};
  Decoded d;
  ASSERT_FALSE(decode_message(Codec::nest, "redis", m, d));
  EXPECT_EQ(json::serialize(d.data), R"({"id":42})");
  EXPECT_FALSE(d.request_id);
  m.payload = R"({"pattern":"math.sum","data":[1,2],"id":"abc"})";
  ASSERT_FALSE(decode_message(Codec::nest, "nats", m, d));
  EXPECT_EQ(d.request_id, "abc");
  // Not a Nest envelope: the whole payload is the data.
  m.payload = R"({"id":7,"name":"x"})";
  ASSERT_FALSE(decode_message(Codec::nest, "redis", m, d));
  EXPECT_EQ(json::serialize(d.data), R"({"id":7,"name":"x"})");
  // A pattern Nest cannot produce is refused with a reason.
  m.payload = R"({"pattern":[1],"data":1})";
  EXPECT_TRUE(decode_message(Codec::nest, "redis", m, d));
  m.payload = std::string(100, 'x');
  EXPECT_EQ(decode_message(Codec::nest, "redis", m, d, 10).value_or(""), "message too large");
}

TEST(MessageCodec, NestOnKafkaIsTheBareValueWithHeaders) {
  Message m{.topic = "orders", .payload = R"({"id":1})"};
  Decoded d;
  ASSERT_FALSE(decode_message(Codec::nest, "kafka", m, d));
  EXPECT_EQ(json::serialize(d.data), R"({"id":1})");
  EXPECT_FALSE(d.request_id);
  m.payload = "plain text";
  m.headers = {{"kafka_correlationId", "c1"}, {"kafka_replyTopic", "orders.reply"}};
  ASSERT_FALSE(decode_message(Codec::nest, "kafka", m, d));
  EXPECT_EQ(d.data, json::value("plain text"));
  EXPECT_EQ(d.request_id, "c1");
  EXPECT_EQ(encode_event(Codec::nest, "kafka", "t", json::value("s")), "s");
  EXPECT_EQ(encode_event(Codec::nest, "kafka", "t", json::parse("[1]")), "[1]");
  Message err = encode_reply(Codec::nest, "kafka", "c1", json::value("boom"), true);
  ASSERT_NE(err.header("kafka_nest-err"), nullptr);
  EXPECT_EQ(*err.header("kafka_nest-err"), "boom");
  ASSERT_NE(err.header("kafka_nest-is-disposed"), nullptr);
  ReplyValue r = decode_reply(Codec::nest, "kafka", err);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.value, json::value("boom"));
}

TEST(MessageCodec, RequestsAndRepliesRoundTrip) {
  Message req;
  encode_request(Codec::nest, "redis", "math.sum", json::parse("[1,2]"), req);
  EXPECT_EQ(req.topic, "math.sum");
  Decoded d;
  ASSERT_FALSE(decode_message(Codec::nest, "redis", req, d));
  ASSERT_TRUE(d.request_id);
  EXPECT_EQ(d.request_id->size(), 21u);
  Message ok = encode_reply(Codec::nest, "redis", *d.request_id, json::value(3), false);
  ReplyValue r = decode_reply(Codec::nest, "redis", ok);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.value, json::value(3));
  Message bad = encode_reply(Codec::nest, "redis", *d.request_id, json::value("no"), true);
  r = decode_reply(Codec::nest, "redis", bad);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.value, json::value("no"));
  // json codec: the payload is the data; text that is not JSON is a string.
  Message j{.topic = "t", .payload = "hello"};
  ASSERT_FALSE(decode_message(Codec::json, "nats", j, d));
  EXPECT_EQ(d.data, json::value("hello"));
  EXPECT_EQ(encode_event(Codec::json, "nats", "t", json::parse(R"({"a":1})")), R"({"a":1})");
}

TEST(BrokerUrl, ParsesRedisUrls) {
  auto u = parse_redis_url("redis://127.0.0.1:6380");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6380);
  u = parse_redis_url("redis://user:p%40ss@cache.local/2");
  EXPECT_EQ(u.host, "cache.local");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.user, "user");
  EXPECT_EQ(u.password, "p@ss");
  u = parse_redis_url("redis://secret@[::1]:7000");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.password, "secret");
  EXPECT_THROW(parse_redis_url("http://x"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://host:99999"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://:1"), std::invalid_argument);
}

TEST(BrokerUrl, ParsesNatsUrlLists) {
  EXPECT_EQ(parse_nats_urls("nats://a:4222, nats://u:p@b:4223"),
            (std::vector<std::string>{"nats://a:4222", "nats://u:p@b:4223"}));
  EXPECT_EQ(parse_nats_urls("tls://a:4222"), std::vector<std::string>{"tls://a:4222"});
  EXPECT_TRUE(parse_nats_urls("").empty());
  EXPECT_THROW(parse_nats_urls("nats://a:4222,a:4223"), std::invalid_argument);
}

// Numbers pass through every codec unchanged (boost::json::parse rounds some
// 17-digit doubles wrongly; tests/fuzz corpus/message_codec/long_number).
TEST(MessageCodec, KeepsNumbersExact) {
  const double x = 238.20188140736326;
  for (Codec codec : {Codec::nest, Codec::json}) {
    for (const char* kind : {"redis", "kafka"}) {
      Message m{.topic = "t", .payload = "[238.20188140736326]"};
      Decoded d;
      ASSERT_FALSE(decode_message(codec, kind, m, d));
      EXPECT_EQ(d.data.as_array()[0].as_double(), x) << codec_name(codec) << " " << kind;
    }
  }
}

// Text that is neither JSON nor UTF-8 becomes a JSON string with U+FFFD in
// place of each invalid sequence (as Node reads it), so what is published or
// sent on is valid JSON.
TEST(MessageCodec, TextThatIsNotUtf8BecomesValidJson) {
  const std::string bad = "caf\xE9 \xC0\xAF \xED\xA0\x80 end\xE2\x82";
  const std::string R = "\xEF\xBF\xBD";
  const std::string text = "caf" + R + " " + R + R + " " + R + R + R + " end" + R;
  for (Codec codec : {Codec::nest, Codec::json}) {
    for (const char* kind : {"redis", "nats", "kafka"}) {
      Message m{.topic = "t", .payload = bad};
      Decoded d;
      ASSERT_FALSE(decode_message(codec, kind, m, d));
      ASSERT_TRUE(d.data.is_string()) << codec_name(codec) << " " << kind;
      EXPECT_EQ(std::string(d.data.as_string()), text) << codec_name(codec) << " " << kind;
      const std::string out = encode_event(codec, kind, "t", d.data);
      EXPECT_TRUE(sb::valid_utf8(out)) << codec_name(codec) << " " << kind;
      boost::system::error_code ec;
      if (codec == Codec::json || std::string_view(kind) != "kafka") {
        (void)json::parse(out, ec);
        EXPECT_FALSE(ec) << out;
      }
    }
  }
  // JSON with a bad byte in a string parses, with U+FFFD there (as in Node).
  for (Codec codec : {Codec::nest, Codec::json}) {
    for (const char* kind : {"redis", "kafka"}) {
      Message m{.topic = "t", .payload = "{\"name\":\"caf\xE9\"}"};
      Decoded d;
      ASSERT_FALSE(decode_message(codec, kind, m, d));
      EXPECT_EQ(json::serialize(d.data), "{\"name\":\"caf" + R + "\"}")
          << codec_name(codec) << " " << kind;
    }
  }
  // A Kafka error header and a JSON-codec reply are read the same way.
  Message reply{.topic = "t.reply", .payload = bad};
  EXPECT_EQ(std::string(decode_reply(Codec::json, "redis", reply).value.as_string()), text);
  reply.payload.clear();
  reply.headers = {{"kafka_nest-err", bad}};
  const ReplyValue r = decode_reply(Codec::nest, "kafka", reply);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(std::string(r.value.as_string()), text);
}
