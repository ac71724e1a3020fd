#pragma once
// One SSE stream: its sequence of ids, a bounded history for resume, and how
// many subscribers each worker has. A publish takes the stream's lock to
// number the event, store it and post it to the workers with subscribers; a
// subscribe takes the same lock to compute its replay and register, so a
// subscriber sees every event after its position exactly once, in order (the
// connection also ignores any seq at or below its position).
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateways/intra_service/sse_message.hpp"
#include "gateways/intra_service/stream_catalog.hpp"

namespace sb::intra {

class SseStream {
 public:
  SseStream(std::string name, const StreamRule& rule, unsigned workers);

  const std::string& name() const { return name_; }
  const StreamRule& rule() const { return rule_; }

  // Numbers and stores the event whose fields are `fields` (see SseMessage),
  // then calls `fanout(message, worker)` for every worker with subscribers,
  // still under the lock so that posts leave in seq order.
  using Fanout = std::function<void(const SseMessagePtr&, unsigned worker)>;
  SseMessagePtr publish(uint64_t epoch, std::string fields, int level, uint64_t order,
                        const Fanout& fanout);

  enum class Start { Live, Replay, Reset };
  struct Subscription {
    Start start = Start::Live;
    const char* reset_reason = nullptr;  // "history_overflow", "unknown_position"
    std::vector<SseMessagePtr> replay;   // in seq order
    uint64_t position = 0;               // seq of the last event the subscriber has (after replay)
  };
  // Registers a subscriber on `worker`. `after`: the subscriber's position
  // (from Last-Event-ID) or none for a new one; `last_n`: on a new
  // subscription, replay up to this many recent events.
  Subscription subscribe(unsigned worker, std::optional<uint64_t> after, size_t last_n = 0);
  void unsubscribe(unsigned worker);

  uint64_t last_seq() const;
  size_t history_count() const;
  // The last `n` kept events, oldest first (the HTTP API's history read).
  std::vector<SseMessagePtr> recent(size_t n) const;
  size_t subscriber_count() const;

 private:
  std::string name_;
  StreamRule rule_;
  mutable std::mutex mu_;
  uint64_t last_seq_ = 0;
  std::deque<SseMessagePtr> history_;
  std::vector<uint32_t> subscribers_;  // per worker
};

}  // namespace sb::intra
