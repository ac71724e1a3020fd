#include "net/http_parser.hpp"

#include <gtest/gtest.h>

using namespace sb::net;
using Status = HttpRequestParser::Status;

TEST(HttpRequestParser, ParsesPipelinedRequestsFedInPieces) {
  HttpRequestParser p;
  p.reset(4096, 4096);
  std::string in = "POST /socket.io/?EIO=4&sid=a%2Bb HTTP/1.1\r\nHost: x\r\nContent-Le";
  HttpRequest req;
  EXPECT_EQ(p.feed(in, req), Status::NeedMore);
  in += "ngth: 6\r\n\r\n4hello";
  in += "GET /x HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\n";
  ASSERT_EQ(p.feed(in, req), Status::Done);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/socket.io/");
  EXPECT_EQ(req.query_param("sid"), "a+b");
  EXPECT_EQ(req.header("content-length"), "6");
  EXPECT_EQ(req.body, "4hello");
  EXPECT_FALSE(req.upgrade_websocket);
  p.reset(4096, 4096);
  ASSERT_EQ(p.feed(in, req), Status::Done);
  EXPECT_TRUE(req.upgrade_websocket);
  EXPECT_TRUE(in.empty());
}

TEST(HttpRequestParser, RefusesWhatIsTooLargeOrMalformed) {
  HttpRequestParser p;
  HttpRequest req;
  p.reset(64, 4);
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(p.feed(big, req), Status::HeadersTooLarge);
  p.reset(1024, 4);
  std::string body = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(p.feed(body, req), Status::BodyTooLarge);
  p.reset(1024, 4);
  std::string bad = "GET /%zz HTTP/1.1\r\n\r\n";
  EXPECT_EQ(p.feed(bad, req), Status::BadRequest);
  p.reset(1024, 4);
  std::string junk = "\x01\x02 nonsense\r\n\r\n";
  EXPECT_EQ(p.feed(junk, req), Status::BadRequest);
}

TEST(HeaderHasToken, IgnoresCaseAndBlanks) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token(" \tUPGRADE\t", "upgrade"));
  EXPECT_FALSE(header_has_token("upgrades", "upgrade"));
  EXPECT_FALSE(header_has_token("", "upgrade"));
}
