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
  TimingWheel w(10, 4);                                 // one turn = 40 ms
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

namespace {
struct Probe final : sb::net::WheelTimer {
  std::vector<int>* log;
  int id;
  std::function<void()> then;
  Probe(std::vector<int>* l, int i) : log(l), id(i) {}
  ~Probe() = default;
  void on_timer() override {
    log->push_back(id);
    if (then) then();
  }
  using WheelTimer::cancel_timer;
  using WheelTimer::timer_armed;
};
}  // namespace

TEST(TimingWheel, EmbeddedTimersFireOnceAndMoveWhenRearmed) {
  TimingWheel w(10, 8);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;
  std::vector<int> fired;
  Probe a(&fired, 1), b(&fired, 2);
  w.schedule_at(a, t0 + 20);
  w.schedule_at(b, t0 + 30);
  w.schedule_at(a, t0 + 50);  // moved: fires once, later
  EXPECT_EQ(w.size(), 2u);
  w.advance(t0 + 35);
  EXPECT_EQ(fired, (std::vector<int>{2}));
  EXPECT_FALSE(b.timer_armed());
  EXPECT_TRUE(a.timer_armed());
  w.advance(t0 + 200);  // beyond one turn of 80 ms: each fires exactly once
  EXPECT_EQ(fired, (std::vector<int>{2, 1}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheel, EmbeddedTimersUnlinkWhenCancelledOrDestroyed) {
  TimingWheel w(10, 8);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;
  std::vector<int> fired;
  Probe kept(&fired, 1), cancelled(&fired, 2);
  {
    Probe gone(&fired, 3);
    w.schedule_at(gone, t0 + 20);
  }
  w.schedule_at(kept, t0 + 20);
  w.schedule_at(cancelled, t0 + 20);
  cancelled.cancel_timer();
  EXPECT_EQ(w.size(), 1u);
  w.advance(t0 + 30);
  EXPECT_EQ(fired, (std::vector<int>{1}));
}

TEST(TimingWheel, EmbeddedTimerMayDestroyOthersAndRearmItself) {
  TimingWheel w(10, 8);
  const uint64_t t0 = TimingWheel::now_ms() / 10 * 10;
  std::vector<int> fired;
  auto victim = std::make_unique<Probe>(&fired, 2);
  Probe killer(&fired, 1);
  int rearms = 0;
  killer.then = [&] {
    victim.reset();  // due in the same tick: it must not fire after this
    if (++rearms < 3) w.schedule_at(killer, TimingWheel::now_ms());
  };
  w.schedule_at(killer, t0 + 20);
  w.schedule_at(*victim, t0 + 20);
  for (int i = 1; i <= 10; ++i) w.advance(t0 + 1000 * i);
  EXPECT_EQ(fired, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimingWheel, TimersOutlivingTheWheelAreDisarmed) {
  std::vector<int> fired;
  Probe p(&fired, 1);
  {
    TimingWheel w(10, 8);
    w.schedule_at(p, TimingWheel::now_ms() + 50);
  }
  EXPECT_FALSE(p.timer_armed());
}
