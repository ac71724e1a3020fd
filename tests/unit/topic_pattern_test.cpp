#include "gateways/inter_service/topic_pattern.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace tp = sb::inter_service::topic_pattern;

TEST(TopicPattern, ValidTopics) {
  EXPECT_TRUE(tp::valid_topic("user.created"));
  EXPECT_TRUE(tp::valid_topic("a"));
  EXPECT_TRUE(tp::valid_topic("{\"cmd\":\"sum\"}"));  // NestJS object pattern
  EXPECT_TRUE(tp::valid_topic("a..b"));               // free-form channel names
  EXPECT_TRUE(tp::valid_topic("a.b*"));               // '*' inside a token is literal
  std::string why;
  EXPECT_FALSE(tp::valid_topic("", &why));
  EXPECT_NE(why.find("empty"), std::string::npos);
  EXPECT_FALSE(tp::valid_topic("a b", &why));
  EXPECT_FALSE(tp::valid_topic("a\nb"));
  EXPECT_FALSE(tp::valid_topic("a.*", &why));
  EXPECT_NE(why.find("wildcard"), std::string::npos);
  EXPECT_FALSE(tp::valid_topic("a.>"));
  EXPECT_FALSE(tp::valid_topic(std::string(tp::kMaxLength + 1, 'x')));
  EXPECT_TRUE(tp::valid_topic(std::string(tp::kMaxLength, 'x')));
}

TEST(TopicPattern, ValidPatterns) {
  EXPECT_TRUE(tp::valid_pattern("a.b.c"));
  EXPECT_TRUE(tp::valid_pattern("a.*.c"));
  EXPECT_TRUE(tp::valid_pattern("a.>"));
  EXPECT_TRUE(tp::valid_pattern(">"));
  EXPECT_TRUE(tp::valid_pattern("*"));
  EXPECT_TRUE(tp::valid_pattern("*.*.>"));
  std::string why;
  EXPECT_FALSE(tp::valid_pattern("a.>.c", &why));
  EXPECT_NE(why.find("last"), std::string::npos);
  EXPECT_FALSE(tp::valid_pattern("a..*", &why));
  EXPECT_FALSE(tp::valid_pattern(".*"));
  EXPECT_FALSE(tp::valid_pattern(""));
  EXPECT_FALSE(tp::valid_pattern("a.* b"));
  EXPECT_TRUE(tp::is_literal("a.b"));
  EXPECT_TRUE(tp::is_literal("a.b*"));
  EXPECT_FALSE(tp::is_literal("a.*"));
  EXPECT_FALSE(tp::is_literal(">"));
}

TEST(TopicPattern, Matching) {
  EXPECT_TRUE(tp::matches("a.b.c", "a.b.c"));
  EXPECT_FALSE(tp::matches("a.b.c", "a.b"));
  EXPECT_FALSE(tp::matches("a.b", "a.b.c"));
  EXPECT_TRUE(tp::matches("a.*.c", "a.x.c"));
  EXPECT_FALSE(tp::matches("a.*.c", "a.x.y.c"));
  EXPECT_FALSE(tp::matches("a.*.c", "a..c"));  // '*' never matches an empty token
  EXPECT_FALSE(tp::matches("a.*", "a"));
  EXPECT_TRUE(tp::matches("a.>", "a.b"));
  EXPECT_TRUE(tp::matches("a.>", "a.b.c.d"));
  EXPECT_FALSE(tp::matches("a.>", "a"));
  EXPECT_FALSE(tp::matches("a.>", "a."));
  EXPECT_FALSE(tp::matches("a.>", "a.b..c"));
  EXPECT_FALSE(tp::matches("a.>", "b.c"));
  EXPECT_TRUE(tp::matches(">", "x"));
  EXPECT_TRUE(tp::matches(">", "x.y"));
  EXPECT_TRUE(tp::matches("*", "x"));
  EXPECT_FALSE(tp::matches("*", "x.y"));
  EXPECT_TRUE(tp::matches("*.>", "x.y"));
  EXPECT_FALSE(tp::matches("*.>", "x"));
  EXPECT_TRUE(tp::matches("a.b*", "a.b*"));  // literal star
  EXPECT_FALSE(tp::matches("a.b*", "a.bc"));
  EXPECT_TRUE(tp::matches("{\"cmd\":\"sum\"}", "{\"cmd\":\"sum\"}"));
}

TEST(TopicPattern, RedisGlob) {
  EXPECT_EQ(tp::to_redis_glob("a.*.c"), "a.*.c");
  EXPECT_EQ(tp::to_redis_glob("a.>"), "a.*");
  EXPECT_EQ(tp::to_redis_glob("*"), "*");
  EXPECT_EQ(tp::to_redis_glob("a[1].*"), "a\\[1\\].*");
  EXPECT_EQ(tp::to_redis_glob("q?.*"), "q\\?.*");
  EXPECT_EQ(tp::to_redis_glob("x*y.*"), "x\\*y.*");
}

TEST(TopicPattern, KafkaRegex) {
  EXPECT_EQ(tp::to_kafka_regex("a.*.c"), "^a\\.[^.]+\\.c$");
  EXPECT_EQ(tp::to_kafka_regex("a.>"), "^a\\.[^.]+(\\.[^.]+)*$");
  EXPECT_EQ(tp::to_kafka_regex("a-b_c.*"), "^a-b_c\\.[^.]+$");
  // The regex accepts exactly what matches() accepts, on Kafka-legal names.
  const char* patterns[] = {"a.*.c", "a.>", "*.b", "*", ">"};
  // "a..b" and "a.b.": found by tests/fuzz, ">" matched empty tokens in the regex.
  const char* topics[] = {"a.b.c", "a.b",   "a.b.c.d", "x.b",  "a",
                          "b",     "a.x.c", "ab.c",    "a..b", "a.b."};
  for (const char* p : patterns) {
    const std::regex re(tp::to_kafka_regex(p), std::regex::extended);
    for (const char* t : topics)
      EXPECT_EQ(std::regex_search(t, re), tp::matches(p, t)) << p << " vs " << t;
  }
}
