#include "gateways/inter_service/backoff.hpp"

#include <gtest/gtest.h>

using sb::inter_service::Backoff;
using sb::inter_service::BackoffPolicy;

TEST(Backoff, GrowsExponentiallyWithinJitterUpToMax) {
  Backoff b(BackoffPolicy{100, 1000, 2.0, 0.25}, 42);
  const uint32_t bases[] = {100, 200, 400, 800, 1000, 1000};
  for (uint32_t base : bases) {
    const uint32_t d = b.next();
    EXPECT_LE(d, base);
    EXPECT_GE(d, base * 3 / 4);
  }
  EXPECT_EQ(b.attempts(), 6u);
  b.reset();
  EXPECT_LE(b.next(), 100u);
}

TEST(Backoff, NoJitterIsExact) {
  Backoff b(BackoffPolicy{50, 300, 3.0, 0.0}, 1);
  EXPECT_EQ(b.next(), 50u);
  EXPECT_EQ(b.next(), 150u);
  EXPECT_EQ(b.next(), 300u);
  EXPECT_EQ(b.next(), 300u);
}
