#pragma once
// The entries a shared recovery log's reader delivered on this node, kept so a
// restore that finished after later entries reached its worker can fill the
// gap (sio::SharedRecovery::recent). Every entry after covered_from() is held
// until the ring is full; reset() restarts it after a break in the reading
// (reconnect, entries trimmed before they were read). Thread-safe.
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "gateways/client/sio_server.hpp"
#include "protocol/stream_id.hpp"

namespace sb::inter_service {

class RecentEntries {
 public:
  explicit RecentEntries(size_t capacity) : capacity_(capacity) {}

  // Nothing held; entries after `from` are held from now on.
  void reset(protocol::StreamId from);
  void remember(std::shared_ptr<const sio::Broadcast> b);
  // The held entries in (after, upto]; nullopt when some of them are not held.
  std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> window(
      protocol::StreamId after, protocol::StreamId upto) const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const sio::Broadcast>> entries_;
  protocol::StreamId covered_from_;
  bool covered_ = false;
};

}  // namespace sb::inter_service
