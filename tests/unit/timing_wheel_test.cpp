#include "net/timing_wheel.hpp"

#include <gtest/gtest.h>

#include <vector>

using sb::net::TimingWheel;

TEST(TimingWheel, FiresInDueOrderAndOnlyWhenDue) {
  TimingWheel w(10, 8);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;  // tick-aligned
  std::vector<int> fired;
  w.schedule_at(t0 + 30, [&] { fired.push_back(3); });
  w.schedule_at(t0 + 10, [&] { fired.push_back(1); });
  w.schedule_at(t0 + 20, [&] { fired.push_back(2); });
  w.advance(t0 + 5);
  EXPECT_TRUE(fired.empty());
  w.advance(t0 + 25);
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  w.advance(t0 + 40);
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheel, EntriesBeyondOneTurnWaitForTheirTime) {
  TimingWheel w(10, 4);  // one turn = 40 ms
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;  // tick-aligned
  int fired = 0;
  w.schedule_at(t0 + 150, [&] { ++fired; });
  w.advance(t0 + 60);
  w.advance(t0 + 100);
  EXPECT_EQ(fired, 0);
  w.advance(t0 + 160);
  EXPECT_EQ(fired, 1);
}

TEST(TimingWheel, CallbacksMayReschedule) {
  TimingWheel w(10, 16);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;  // tick-aligned
  int count = 0;
  std::function<void()> again = [&] {
    if (++count < 3) w.schedule_at(TimingWheel::now_ms(), again);
  };
  w.schedule_at(t0, again);
  for (int i = 1; i <= 10; ++i) w.advance(t0 + 1000 * i);
  EXPECT_EQ(count, 3);
}

TEST(TimingWheel, PastDeadlineFiresOnNextTick) {
  TimingWheel w(10, 16);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;  // tick-aligned
  w.advance(t0 + 100);
  bool fired = false;
  w.schedule_at(t0, [&] { fired = true; });
  w.advance(t0 + 115);
  EXPECT_TRUE(fired);
}
