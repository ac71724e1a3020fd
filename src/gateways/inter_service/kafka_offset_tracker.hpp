#pragma once
// Commit positions for one Kafka partition when handlers finish out of order.
//
// Kafka commits a position ("everything before offset N is done"), but our
// handlers may ack in any order and from any thread. The tracker keeps the
// offsets handed to handlers and not yet finished; the position that is safe
// to commit is the lowest unfinished offset, or one past the highest
// delivered offset when none is unfinished. A later ok therefore never
// commits past an earlier pending message. Offsets need not be contiguous
// (compaction and transaction markers leave gaps). Pure, single-threaded
// (the broker's worker owns it).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace sb::inter_service {

class PartitionOffsets {
 public:
  // `offset` was handed to the handlers. Offsets normally arrive increasing;
  // one already pending is ignored (a redelivery), an older one is inserted in
  // order (the consumer was reset to an earlier position).
  void delivered(int64_t offset);

  // The handlers are done with `offset` (ok or bad: it will not be retried).
  // Returns the new commit position when it advanced; nullopt when it did not
  // (an earlier offset is still pending) or when `offset` was not pending.
  std::optional<int64_t> done(int64_t offset);

  // Position that is safe to commit now; -1 before anything was delivered.
  int64_t commit_position() const;
  bool pending(int64_t offset) const;
  // Delivered offsets not done yet.
  size_t in_flight() const { return in_flight_; }

 private:
  struct Entry {
    int64_t offset;
    bool done;
  };
  std::deque<Entry>::iterator find(int64_t offset);
  std::deque<Entry>::const_iterator find(int64_t offset) const;

  std::deque<Entry> window_;  // increasing offsets from the lowest pending one
  size_t in_flight_ = 0;
  int64_t next_ = -1;       // highest delivered + 1
  int64_t committed_ = -1;  // last position returned by done() (or the first delivered)
};

}  // namespace sb::inter_service
