#include "gateways/inter_service/recovery_recent.hpp"

#include <gtest/gtest.h>

using namespace sb;
using namespace sb::inter_service;
using protocol::StreamId;

namespace {

std::shared_ptr<const sio::Broadcast> entry(uint64_t seq) {
  auto b = std::make_shared<sio::Broadcast>();
  b->stream_id = StreamId{0, seq};
  return b;
}

std::vector<uint64_t> seqs(const std::vector<std::shared_ptr<const sio::Broadcast>>& v) {
  std::vector<uint64_t> out;
  for (auto& b : v) out.push_back(b->stream_id.seq);
  return out;
}

}  // namespace

TEST(RecentEntries, NothingIsCoveredBeforeTheReaderStarts) {
  RecentEntries r(4);
  EXPECT_FALSE(r.window({0, 0}, {0, 10}));
}

TEST(RecentEntries, AWindowIsWhatWasReadInIt) {
  RecentEntries r(4);
  r.reset({0, 10});
  for (uint64_t s = 11; s <= 13; ++s) r.remember(entry(s));
  EXPECT_EQ(seqs(*r.window({0, 10}, {0, 13})), (std::vector<uint64_t>{11, 12, 13}));
  EXPECT_EQ(seqs(*r.window({0, 11}, {0, 12})), (std::vector<uint64_t>{12}));
  EXPECT_TRUE(r.window({0, 13}, {0, 13})->empty());
  EXPECT_FALSE(r.window({0, 9}, {0, 13}));  // before the reader started here
}

TEST(RecentEntries, WhatFellOutOfTheRingOrBeforeAResetIsNotCovered) {
  RecentEntries r(2);
  r.reset({0, 0});
  for (uint64_t s = 1; s <= 4; ++s) r.remember(entry(s));
  EXPECT_FALSE(r.window({0, 1}, {0, 4}));  // 2 was dropped
  EXPECT_EQ(seqs(*r.window({0, 2}, {0, 4})), (std::vector<uint64_t>{3, 4}));
  r.reset({0, 7});  // entries 5-7 were trimmed before they were read
  r.remember(entry(8));
  EXPECT_FALSE(r.window({0, 4}, {0, 8}));
  EXPECT_EQ(seqs(*r.window({0, 7}, {0, 8})), (std::vector<uint64_t>{8}));
}
