#include "net/http_request.hpp"

#include <gtest/gtest.h>

using namespace sb::net;

TEST(ParseTarget, SplitsPathAndDecodesQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  ASSERT_TRUE(parse_target("/socket.io/?EIO=4&transport=polling&t=N8h%2Bx&x=a+b&flag", path, q));
  EXPECT_EQ(path, "/socket.io/");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"EIO", "4"}));
  EXPECT_EQ(q[2].second, "N8h+x");
  EXPECT_EQ(q[3].second, "a b");
  EXPECT_EQ(q[4].first, "flag");
  EXPECT_EQ(q[4].second, "");
}

TEST(ParseTarget, RejectsBadEscapes) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  EXPECT_FALSE(parse_target("/a%zz", path, q));
  EXPECT_FALSE(parse_target("/a?x=%4", path, q));
  EXPECT_FALSE(parse_target("/a?x=%", path, q));
  EXPECT_TRUE(parse_target("/a%20b", path, q));
  EXPECT_EQ(path, "/a b");
}

TEST(HttpRequest, LooksUpHeadersAndQuery) {
  HttpRequest r;
  r.headers = {{"origin", "http://x"}, {"upgrade", "websocket"}};
  r.query = {{"sid", "abc"}};
  EXPECT_EQ(r.header("origin"), "http://x");
  EXPECT_TRUE(r.header("missing").empty());
  EXPECT_TRUE(r.has_query_param("sid"));
  EXPECT_FALSE(r.has_query_param("EIO"));
  EXPECT_EQ(r.query_param("sid"), "abc");
}
