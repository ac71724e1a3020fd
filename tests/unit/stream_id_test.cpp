#include "protocol/stream_id.hpp"

#include <gtest/gtest.h>

using sb::protocol::parse_stream_id;
using sb::protocol::StreamId;

TEST(StreamId, ParsesRedisEntryIds) {
  auto id = parse_stream_id("1700000000123-7");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->ms, 1700000000123u);
  EXPECT_EQ(id->seq, 7u);
  EXPECT_EQ(id->to_string(), "1700000000123-7");
  EXPECT_EQ(parse_stream_id("18446744073709551615-18446744073709551615")->seq,
            18446744073709551615u);
}

TEST(StreamId, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "-", "1-", "-1", "1", "a-1", "1-b", " 1-2", "1-2 ", "+1-2", "1--2",
                          "1-2-3", "18446744073709551616-0", "k3j2x9-12", "0x1-2"})
    EXPECT_FALSE(parse_stream_id(bad)) << bad;
}

TEST(StreamId, ComparesAsNumberPairsNotStrings) {
  const StreamId a{9, 0}, b{10, 0}, c{10, 1}, d{10, 10}, e{10, 9};
  EXPECT_LT(a, b);  // "9-0" > "10-0" as strings
  EXPECT_LT(b, c);
  EXPECT_LT(e, d);  // "10-9" > "10-10" as strings
  EXPECT_EQ(*parse_stream_id("10-1"), c);
  EXPECT_TRUE(StreamId{}.empty());
  EXPECT_FALSE(a.empty());
}
