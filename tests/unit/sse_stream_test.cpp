#include "gateways/intra_service/sse_stream.hpp"

#include <gtest/gtest.h>

#include "gateways/intra_service/stream_catalog.hpp"

using namespace sb::intra;

namespace {
StreamRule rule(size_t history) {
  return StreamRule{"s", Access::Public, history};
}
SseMessagePtr pub(SseStream& s, std::vector<unsigned>* fanned = nullptr) {
  return s.publish(77, "data: x\n", -1, 0, [&](const SseMessagePtr&, unsigned w) {
    if (fanned) fanned->push_back(w);
  });
}
}  // namespace

TEST(SseStream, NumbersEventsAndWritesTheIdLine) {
  SseStream s("s", rule(10), 2);
  auto m = pub(s);
  EXPECT_EQ(m->seq, 1u);
  EXPECT_EQ(m->bytes, "data: x\nid: 77-1\n\n");
  EXPECT_EQ(m->fields(), "data: x\n");
  EXPECT_EQ(pub(s)->seq, 2u);
}

TEST(SseStream, FansOutOnlyToWorkersWithSubscribers) {
  SseStream s("s", rule(10), 3);
  std::vector<unsigned> fanned;
  pub(s, &fanned);
  EXPECT_TRUE(fanned.empty());
  s.subscribe(2, std::nullopt);
  s.subscribe(2, std::nullopt);
  pub(s, &fanned);
  EXPECT_EQ(fanned, (std::vector<unsigned>{2}));
  s.unsubscribe(2);
  s.unsubscribe(2);
  fanned.clear();
  pub(s, &fanned);
  EXPECT_TRUE(fanned.empty());
}

TEST(SseStream, ResumeReplaysExactlyTheMissedEvents) {
  SseStream s("s", rule(5), 1);
  for (int i = 0; i < 8; ++i) pub(s);  // history holds 4..8
  auto sub = s.subscribe(0, 5);
  EXPECT_EQ(sub.start, SseStream::Start::Replay);
  ASSERT_EQ(sub.replay.size(), 3u);
  EXPECT_EQ(sub.replay[0]->seq, 6u);
  EXPECT_EQ(sub.replay[2]->seq, 8u);
  EXPECT_EQ(sub.position, 8u);
  // Oldest resumable position: 3 (the next event, 4, is still kept).
  EXPECT_EQ(s.subscribe(0, 3).replay.size(), 5u);
  // Up to date: nothing to replay.
  auto live = s.subscribe(0, 8);
  EXPECT_EQ(live.start, SseStream::Start::Live);
  EXPECT_TRUE(live.replay.empty());
}

TEST(SseStream, APositionOutsideTheHistoryIsAReset) {
  SseStream s("s", rule(5), 1);
  for (int i = 0; i < 8; ++i) pub(s);
  auto old = s.subscribe(0, 2);  // event 3 is gone
  EXPECT_EQ(old.start, SseStream::Start::Reset);
  EXPECT_STREQ(old.reset_reason, "history_overflow");
  EXPECT_TRUE(old.replay.empty());
  auto future = s.subscribe(0, 99);
  EXPECT_EQ(future.start, SseStream::Start::Reset);
  EXPECT_STREQ(future.reset_reason, "unknown_position");
  SseStream none("n", rule(0), 1);
  pub(none);
  EXPECT_EQ(none.subscribe(0, 0).start, SseStream::Start::Reset);
}

TEST(SseStream, NewSubscriberMayAskForRecentHistory) {
  SseStream s("s", rule(5), 1);
  for (int i = 0; i < 3; ++i) pub(s);
  auto sub = s.subscribe(0, std::nullopt, 2);
  ASSERT_EQ(sub.replay.size(), 2u);
  EXPECT_EQ(sub.replay[0]->seq, 2u);
  EXPECT_EQ(s.subscribe(0, std::nullopt, 100).replay.size(), 3u);
  EXPECT_TRUE(s.subscribe(0, std::nullopt).replay.empty());
}

TEST(StreamCatalog, FindsStreamsAndFamilies) {
  StreamCatalog c;
  c.add({"news", Access::Public, 1});
  c.add({"user:*", Access::User, 1});
  c.add({"user:admin:*", Access::Authenticated, 1});
  EXPECT_EQ(c.find("news")->name, "news");
  EXPECT_EQ(c.find("user:42")->name, "user:*");
  EXPECT_EQ(c.find("user:admin:1")->name, "user:admin:*");  // longest prefix
  EXPECT_EQ(c.find("user:"), nullptr);
  EXPECT_EQ(c.find("newsx"), nullptr);
  EXPECT_EQ(StreamCatalog::user_of(*c.find("user:42"), "user:42"), "42");
  EXPECT_THROW(c.add({"news", Access::Public, 1}), std::invalid_argument);
  EXPECT_THROW(c.add({"private", Access::User, 1}), std::invalid_argument);
  EXPECT_THROW(c.add({"bad name", Access::Public, 1}), std::invalid_argument);
}
