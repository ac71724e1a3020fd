#include "gateways/inter_service/kafka_offset_tracker.hpp"

#include <gtest/gtest.h>

using sb::inter_service::PartitionOffsets;

TEST(KafkaOffsetTracker, FirstDeliveryIsNotNewsButItsAckIs) {
  PartitionOffsets p;
  p.delivered(42);  // the consumer starts at its committed offset 42
  p.delivered(43);
  EXPECT_EQ(p.done(43), std::nullopt);  // 42 pending: the position stays 42
  EXPECT_EQ(p.commit_position(), 42);
  EXPECT_EQ(p.done(42), 44);
}

TEST(KafkaOffsetTracker, InOrderAcksAdvanceOneByOne) {
  PartitionOffsets p;
  EXPECT_EQ(p.commit_position(), -1);
  p.delivered(10);
  p.delivered(11);
  EXPECT_EQ(p.commit_position(), 10);
  EXPECT_EQ(p.in_flight(), 2u);
  EXPECT_EQ(p.done(10), 11);
  EXPECT_EQ(p.done(11), 12);
  EXPECT_EQ(p.in_flight(), 0u);
  EXPECT_EQ(p.commit_position(), 12);
}

TEST(KafkaOffsetTracker, LaterAckNeverCommitsPastAnEarlierPendingOne) {
  PartitionOffsets p;
  for (int64_t o = 0; o < 5; ++o) p.delivered(o);
  EXPECT_EQ(p.done(0), 1);
  EXPECT_EQ(p.done(3), std::nullopt);  // 1 and 2 pending
  EXPECT_EQ(p.done(4), std::nullopt);
  EXPECT_EQ(p.commit_position(), 1);
  EXPECT_EQ(p.done(2), std::nullopt);  // 1 still pending
  EXPECT_TRUE(p.pending(1));
  EXPECT_FALSE(p.pending(2));
  EXPECT_EQ(p.done(1), 5);  // everything up to 4 is done now
  EXPECT_EQ(p.in_flight(), 0u);
}

TEST(KafkaOffsetTracker, GapsInOffsetsAreFine) {
  PartitionOffsets p;
  p.delivered(3);
  p.delivered(7);  // 4..6 compacted away or transaction markers
  p.delivered(20);
  EXPECT_EQ(p.done(7), std::nullopt);
  EXPECT_EQ(p.done(3), 20);  // 8..19 do not exist: 20 is the next to read
  EXPECT_EQ(p.done(20), 21);
}

TEST(KafkaOffsetTracker, UnknownDuplicateAndRepeatedAcksAreIgnored) {
  PartitionOffsets p;
  p.delivered(1);
  p.delivered(1);  // redelivery of a pending offset: still one in flight
  EXPECT_EQ(p.in_flight(), 1u);
  EXPECT_EQ(p.done(5), std::nullopt);  // never delivered
  EXPECT_EQ(p.done(1), 2);
  EXPECT_EQ(p.done(1), std::nullopt);  // second ack
  EXPECT_EQ(p.in_flight(), 0u);
  p.delivered(-1);  // invalid offsets are ignored
  EXPECT_EQ(p.in_flight(), 0u);
}

TEST(KafkaOffsetTracker, OlderOffsetAfterAResetIsInsertedInOrder) {
  PartitionOffsets p;
  p.delivered(10);
  p.delivered(12);
  p.delivered(11);  // consumer went back
  EXPECT_EQ(p.in_flight(), 3u);
  EXPECT_EQ(p.done(10), 11);
  EXPECT_EQ(p.done(12), std::nullopt);
  EXPECT_EQ(p.done(11), 13);
  // Going back below what was committed: the position never moves backwards.
  p.delivered(5);
  EXPECT_EQ(p.commit_position(), 5);
  EXPECT_EQ(p.done(5), std::nullopt);
  EXPECT_EQ(p.commit_position(), 13);
}

TEST(KafkaOffsetTracker, ManyOutOfOrderAcks) {
  PartitionOffsets p;
  const int64_t n = 1000;
  for (int64_t o = 0; o < n; ++o) p.delivered(o);
  // Ack odd offsets first, then even ones from the top down: only the very
  // last ack (offset 0) may move the position, straight to n.
  for (int64_t o = 1; o < n; o += 2) EXPECT_EQ(p.done(o), std::nullopt);
  for (int64_t o = n - 2; o > 0; o -= 2) EXPECT_EQ(p.done(o), std::nullopt);
  EXPECT_EQ(p.commit_position(), 0);
  EXPECT_EQ(p.done(0), n);
}
