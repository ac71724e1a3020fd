#include "protocol/sse_codec.hpp"

#include <gtest/gtest.h>

using namespace sb::sse;

TEST(SseCodec, EncodesIdEventAndData) {
  EXPECT_EQ(encode_event("1-2", "greet", "hello"), "event: greet\ndata: hello\nid: 1-2\n\n");
  EXPECT_EQ(encode_event("", "", "x"), "data: x\n\n");
  EXPECT_EQ(encode_event("7", "", "x", 2500), "retry: 2500\ndata: x\nid: 7\n\n");
}

TEST(SseCodec, SplitsEveryKindOfLineBreakIntoDataLines) {
  EXPECT_EQ(encode_event("", "", "a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(encode_event("", "", "a\r\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(encode_event("", "", "a\rb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(encode_event("", "", "a\n\nb\n"), "data: a\ndata: \ndata: b\ndata: \n\n");
  // An empty payload is still one (empty) data line, so the event fires.
  EXPECT_EQ(encode_event("", "", ""), "data: \n\n");
}

TEST(SseCodec, DataCannotInjectFields) {
  const std::string evil = "x\n\nevent: admin\ndata: pwned\nid: 999";
  Parser p;
  std::vector<ParsedEvent> out;
  p.feed(encode_event("1-1", "msg", evil), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].event, "msg");
  EXPECT_EQ(out[0].id, "1-1");
  EXPECT_EQ(out[0].data, evil);
}

TEST(SseCodec, CommentsAndFieldChecks) {
  EXPECT_EQ(encode_comment("heartbeat"), ": heartbeat\n\n");
  EXPECT_EQ(encode_comment("a\nb"), ": a b\n\n");
  EXPECT_TRUE(valid_field_value("orders.created"));
  EXPECT_FALSE(valid_field_value("a\nb"));
  EXPECT_FALSE(valid_field_value("a\rb"));
  EXPECT_FALSE(valid_field_value(std::string_view("a\0b", 3)));
}

TEST(SseParser, FollowsTheSpecInterpretation) {
  Parser p;
  std::vector<ParsedEvent> out;
  // BOM, CRLF, a field without space, a comment, unknown field, retry.
  p.feed("\xEF\xBB\xBF: hi\r\nretry: 1234\r\nfoo: bar\r\ndata:one\r\ndata: two\r\n\r\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "one\ntwo");
  EXPECT_EQ(out[0].event, "message");
  EXPECT_EQ(p.retry(), 1234u);
  EXPECT_EQ(p.comments(), 1u);
  // An id-only block sets the last event id without dispatching.
  p.feed("id: 5-9\n\n", out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(p.last_event_id(), "5-9");
  p.feed("data: x\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].id, "5-9");  // sticky
}

TEST(SseParser, HandlesBytesSplitAnywhere) {
  const std::string wire =
      encode_event("1-1", "a", "x\ny") + encode_comment("hb") + encode_event("1-2", "", "z");
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    Parser p;
    std::vector<ParsedEvent> out;
    p.feed(std::string_view(wire).substr(0, cut), out);
    p.feed(std::string_view(wire).substr(cut), out);
    ASSERT_EQ(out.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(out[0].data, "x\ny");
    EXPECT_EQ(out[0].event, "a");
    EXPECT_EQ(out[1].data, "z");
    EXPECT_EQ(out[1].id, "1-2");
  }
}

TEST(SseParser, CrLfSplitAcrossFeeds) {
  Parser p;
  std::vector<ParsedEvent> out;
  p.feed("data: a\r", out);
  p.feed("\ndata: b\r", out);
  p.feed("\n\r", out);
  p.feed("\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "a\nb");
}
