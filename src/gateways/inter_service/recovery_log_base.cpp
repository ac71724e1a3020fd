#include "gateways/inter_service/recovery_log_base.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/cluster_publisher.hpp"
#include "gateways/inter_service/recovery_log_codec.hpp"
#include "protocol/emitter_message.hpp"

struct redisContext;
struct __jsCtx;

namespace sb::inter_service {

template <class Handle>
RecoveryLogBase<Handle>::RecoveryLogBase(RecoveryLogOptions options, sio::SioServer& sio,
                                         ClusterPublisher& fallback)
    : o_(std::move(options)), sio_(sio), recent_(o_.recent_entries), fallback_(fallback) {}

template <class Handle>
void RecoveryLogBase<Handle>::start_threads() {
  writer_ = std::thread([this] { writer_loop(); });
  reader_ = std::thread([this] { reader_loop(); });
}

template <class Handle>
void RecoveryLogBase<Handle>::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (reader_.joinable()) reader_.join();
  fail_queued();
}

template <class Handle>
bool RecoveryLogBase<Handle>::ready() const {
  std::lock_guard lock(mu_);
  return !stopping_ && reader_ready_ && writer_up();
}

template <class Handle>
void RecoveryLogBase<Handle>::enqueue(Job job) {
  {
    std::lock_guard lock(mu_);
    // Not started, stopping, not ready, the engine away or too far behind:
    // refused now, never hung.
    if (!stopping_ && reader_ready_ && writer_up() && jobs_.size() < o_.max_queued) {
      jobs_.push_back(std::move(job));
      cv_.notify_all();
      return;
    }
  }
  job(nullptr);
}

template <class Handle>
auto RecoveryLogBase<Handle>::next_jobs(std::unique_lock<std::mutex>& lock) -> std::deque<Job> {
  cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !jobs_.empty(); });
  std::deque<Job> batch;
  if (!stopping_) batch.swap(jobs_);
  return batch;
}

template <class Handle>
void RecoveryLogBase<Handle>::fail_queued() {
  std::deque<Job> failed;
  {
    std::lock_guard lock(mu_);
    failed.swap(jobs_);
  }
  for (auto& j : failed) j(nullptr);
}

template <class Handle>
void RecoveryLogBase<Handle>::fallback(const emitter::Broadcast& b) {
  if (auto local = broadcast_from_entry({}, b)) sio_.broadcast(std::move(local));
  fallback_.publish_broadcast(b);
}

template <class Handle>
std::optional<std::vector<std::shared_ptr<const sio::Broadcast>>> RecoveryLogBase<Handle>::recent(
    protocol::StreamId after, protocol::StreamId upto) const {
  return recent_.window(after, upto);
}

template <class Handle>
bool RecoveryLogBase<Handle>::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

template <class Handle>
void RecoveryLogBase<Handle>::pause(uint32_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_; });
}

template <class Handle>
void RecoveryLogBase<Handle>::reader_in_place() {
  std::lock_guard lock(mu_);
  reader_ready_ = true;
}

template <class Handle>
void RecoveryLogBase<Handle>::deliver(protocol::StreamId id, std::string_view payload) {
  auto b = broadcast_from_entry(id, payload);
  if (!b) {
    if (log_limiter_.allow())
      spdlog::warn("cluster recovery log: entry {} is not a broadcast", id.to_string());
    return;
  }
  recent_.remember(b);
  sio_.broadcast(std::move(b));
}

// The two engines: Redis Streams (hiredis) and NATS JetStream (cnats).
template class RecoveryLogBase<redisContext>;
template class RecoveryLogBase<__jsCtx>;

}  // namespace sb::inter_service
