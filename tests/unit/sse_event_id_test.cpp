#include "protocol/sse_event_id.hpp"

#include <gtest/gtest.h>

#include "gateways/intra_service/sse_request.hpp"

using namespace sb::sse;

TEST(SseEventId, ParsesOneOrSeveralPositions) {
  EventPosition p;
  ASSERT_EQ(parse_event_id("1732531200123-42", p, 16), IdError::None);
  EXPECT_EQ(p.epoch, 1732531200123u);
  EXPECT_EQ(p.seqs, (std::vector<uint64_t>{42}));
  ASSERT_EQ(parse_event_id("9-0.7.18446744073709551615", p, 16), IdError::None);
  EXPECT_EQ(p.seqs, (std::vector<uint64_t>{0, 7, 18446744073709551615ull}));
  EXPECT_EQ(format_event_id(9, p.seqs), "9-0.7.18446744073709551615");
}

TEST(SseEventId, RefusesMalformedIds) {
  EventPosition p;
  EXPECT_EQ(parse_event_id("", p, 16), IdError::Empty);
  for (const char* bad :
       {"abc", "12", "-3", "1-", "1-a", "1-2.", "1-.2", "1--2", " 1-2", "1-2 ", "1-2..3", "0x1-2",
        "1-+2", "18446744073709551616-1", "1-18446744073709551616", "1-2-3"})
    EXPECT_EQ(parse_event_id(bad, p, 16), IdError::Malformed) << bad;
  EXPECT_EQ(parse_event_id(std::string(600, '1'), p, 16), IdError::TooLong);
  EXPECT_EQ(parse_event_id("1-1.2.3", p, 2), IdError::TooManyParts);
}

namespace {
sb::net::HttpRequest get(std::string target,
                         std::vector<std::pair<std::string, std::string>> h = {}) {
  sb::net::HttpRequest r;
  r.method = "GET";
  r.target = target;
  EXPECT_TRUE(sb::net::parse_target(target, r.path, r.query));
  r.headers = std::move(h);
  return r;
}
}  // namespace

TEST(SseRequest, ReadsStreamsPositionLevelAndToken) {
  sb::intra::SseRequest r;
  ASSERT_FALSE(sb::intra::parse_sse_request(get("/sse/news"), 4, r));
  EXPECT_EQ(r.streams, (std::vector<std::string>{"news"}));
  EXPECT_FALSE(r.last_event_id);

  auto e = sb::intra::parse_sse_request(
      get("/sse?topic=a&topic=b&topic=a&lastEventId=5-1.2&level=warn&history=10&token=t"), 4, r);
  ASSERT_FALSE(e) << e->message;
  EXPECT_EQ(r.streams, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(r.last_event_id);
  EXPECT_EQ(r.last_event_id->seqs, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(r.min_level, 3);
  EXPECT_EQ(r.history, 10u);
  EXPECT_EQ(r.token, "t");

  // The header wins over the query; Bearer over ?token=.
  ASSERT_FALSE(
      sb::intra::parse_sse_request(get("/sse/x?lastEventId=1-1&token=q",
                                       {{"last-event-id", "2-9"}, {"authorization", "Bearer h"}}),
                                   4, r));
  EXPECT_EQ(r.last_event_id->epoch, 2u);
  EXPECT_EQ(r.token, "h");
}

TEST(SseRequest, RefusesBadInputWithDefinedErrors) {
  sb::intra::SseRequest r;
  auto code = [&](std::string target, std::vector<std::pair<std::string, std::string>> h = {}) {
    auto e = sb::intra::parse_sse_request(get(target, h), 3, r);
    return e ? std::to_string(e->status) + " " + e->code : std::string("ok");
  };
  EXPECT_EQ(code("/sse"), "400 no_stream");
  EXPECT_EQ(code("/sse/"), "400 no_stream");
  EXPECT_EQ(code("/sse?topic=a&topic=b&topic=c&topic=d"), "400 too_many_topics");
  EXPECT_EQ(code("/sse/a?topic=b&topic=c&topic=d"), "400 too_many_topics");
  EXPECT_EQ(code("/sse/a%20b"), "400 invalid_stream");
  EXPECT_EQ(code("/sse/a/b"), "400 invalid_stream");
  EXPECT_EQ(code("/sse?topic="), "400 invalid_stream");
  EXPECT_EQ(code("/sse/a", {{"last-event-id", "nope"}}), "400 invalid_last_event_id");
  EXPECT_EQ(code("/sse/a?lastEventId=1-2.3"),
            "400 invalid_last_event_id");  // 2 positions, 1 stream
  EXPECT_EQ(code("/sse/a?level=loud"), "400 invalid_level");
  EXPECT_EQ(code("/sse/a?history=-1"), "400 invalid_history");
  EXPECT_EQ(code("/sse/a?history=9999999999"), "400 invalid_history");
  EXPECT_EQ(code("/sse/a?lastEventId=1-2"), "ok");
}
