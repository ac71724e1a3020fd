// The per-worker timing wheel. There is no cancel: callbacks hold a weak_ptr to
// their owner and return early when it is gone or re-armed (lazy cancellation),
// so "cancel" is measured as firing entries whose owner has expired.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "net/timing_wheel.hpp"

namespace {

using sb::net::TimingWheel;

struct Owner {
  uint64_t armed_for = 0;
  uint64_t fired = 0;
};

// Same capture shape as EioSession::arm_heartbeat: [weak_ptr, uint64_t].
TimingWheel::Callback heartbeat_cb(const std::shared_ptr<Owner>& o, uint64_t due) {
  std::weak_ptr<Owner> weak = o;
  return [weak, due] {
    auto self = weak.lock();
    if (!self || self->armed_for != due) return;
    ++self->fired;
  };
}

// schedule_at, due times spread over the next 30 s (heartbeats, ack and
// connect timeouts). The wheel is rebuilt (untimed) every 64 Ki entries.
void BM_WheelSchedule(benchmark::State& state) {
  constexpr size_t kBatch = 1 << 16;
  auto owner = std::make_shared<Owner>();
  std::mt19937 rng(7);
  std::vector<uint64_t> delays(kBatch);
  for (auto& d : delays) d = rng() % 30000;
  auto wheel = std::make_unique<TimingWheel>(10, 4096);
  uint64_t base = TimingWheel::now_ms();
  size_t i = 0;
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      wheel = std::make_unique<TimingWheel>(10, 4096);
      base = TimingWheel::now_ms();
      i = 0;
      state.ResumeTiming();
    }
    const uint64_t due = base + delays[i++];
    wheel->schedule_at(due, heartbeat_cb(owner, due));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WheelSchedule);

// advance() over a window in which `range(0)` entries fall due, spread over 100
// ticks; the owners are alive (range(1) == 1) or expired (lazy cancel, == 0).
void BM_WheelAdvanceFire(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const bool alive = state.range(1) != 0;
  std::vector<std::shared_ptr<Owner>> owners(n);
  for (auto& o : owners) o = std::make_shared<Owner>();
  uint64_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TimingWheel wheel(10, 4096);
    const uint64_t base = TimingWheel::now_ms();
    for (size_t i = 0; i < n; ++i) {
      const uint64_t due = base + 10 + (i % 100) * 10;
      if (alive) {
        owners[i]->armed_for = due;
        wheel.schedule_at(due, heartbeat_cb(owners[i], due));
      } else {
        auto tmp = std::make_shared<Owner>();
        wheel.schedule_at(due, heartbeat_cb(tmp, due));  // expires right here
      }
    }
    state.ResumeTiming();
    fired += wheel.advance(base + 10 + 100 * 10);
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(static_cast<int64_t>(fired));
}
BENCHMARK(BM_WheelAdvanceFire)
    ->ArgNames({"entries", "alive"})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Args({100000, 1})
    ->Args({100000, 0});

// An idle tick: advance() one tick at a time over empty slots (the 10 ms timer's work
// when nothing is due).
void BM_WheelAdvanceEmptyTick(benchmark::State& state) {
  TimingWheel wheel(10, 4096);
  uint64_t now = TimingWheel::now_ms();
  for (auto _ : state) {
    now += 10;
    auto n = wheel.advance(now);
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WheelAdvanceEmptyTick);

// Steady state of a worker with `range(0)` sessions: each tick fires the
// heartbeats due and every callback re-arms itself 25 s later (the ping
// interval), with the callback shape of EioSession::arm_heartbeat. Items = ticks.
constexpr uint64_t kPingInterval = 25000;

struct HbSession {
  TimingWheel* wheel = nullptr;
  uint64_t armed_for = 0;
};

void arm_heartbeat(const std::shared_ptr<HbSession>& s, uint64_t due) {
  s->armed_for = due;
  std::weak_ptr<HbSession> weak = s;
  s->wheel->schedule_at(due, [weak, due] {
    auto self = weak.lock();
    if (!self || self->armed_for != due) return;
    arm_heartbeat(self, due + kPingInterval);
  });
}

void BM_WheelHeartbeatSteadyState(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  TimingWheel wheel(10, 4096);
  uint64_t now = TimingWheel::now_ms();
  std::vector<std::shared_ptr<HbSession>> sessions(n);
  for (size_t i = 0; i < n; ++i) {
    sessions[i] = std::make_shared<HbSession>();
    sessions[i]->wheel = &wheel;
    arm_heartbeat(sessions[i], now + 10 + (i * kPingInterval) / n);
  }
  size_t fired = 0;
  for (auto _ : state) {
    now += 10;
    fired += wheel.advance(now);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["fired_per_tick"] =
      benchmark::Counter(static_cast<double>(fired) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_WheelHeartbeatSteadyState)->Arg(10000)->Arg(100000);

}  // namespace
