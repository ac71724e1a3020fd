#include "gateways/intra_service/sse_stream.hpp"

#include "protocol/sse_codec.hpp"
#include "protocol/sse_event_id.hpp"

namespace sb::intra {

SseStream::SseStream(std::string name, const StreamRule& rule, unsigned workers)
    : name_(std::move(name)), rule_(rule), subscribers_(workers, 0) {}

SseMessagePtr SseStream::publish(uint64_t epoch, std::string fields, int level, uint64_t order,
                                 const Fanout& fanout) {
  auto m = std::make_shared<SseMessage>();
  m->level = level;
  m->order = order;
  m->bytes = std::move(fields);
  m->id_offset = static_cast<uint32_t>(m->bytes.size());
  m->bytes.reserve(m->bytes.size() + 40);
  std::lock_guard lk(mu_);
  m->seq = ++last_seq_;
  m->bytes += "id: ";
  sse::append_event_id(m->bytes, epoch, &m->seq, 1);
  m->bytes += "\n\n";
  SseMessagePtr msg = std::move(m);
  if (rule_.history_size > 0) {
    history_.push_back(msg);
    while (history_.size() > rule_.history_size) history_.pop_front();
  }
  for (unsigned w = 0; w < subscribers_.size(); ++w)
    if (subscribers_[w]) fanout(msg, w);
  return msg;
}

SseStream::Subscription SseStream::subscribe(unsigned worker, std::optional<uint64_t> after,
                                             size_t last_n) {
  Subscription s;
  std::lock_guard lk(mu_);
  ++subscribers_[worker];
  s.position = last_seq_;
  if (!after) {
    if (last_n > 0 && !history_.empty()) {
      s.start = Start::Replay;
      const size_t n = std::min(last_n, history_.size());
      s.replay.assign(history_.end() - static_cast<std::ptrdiff_t>(n), history_.end());
    }
    return s;
  }
  const uint64_t a = *after;
  if (a == last_seq_) return s;  // nothing missed
  if (a > last_seq_) {
    // A position this stream never reached: the client's state is not ours.
    s.start = Start::Reset;
    s.reset_reason = "unknown_position";
    return s;
  }
  if (history_.empty() || history_.front()->seq > a + 1) {
    s.start = Start::Reset;
    s.reset_reason = "history_overflow";
    return s;
  }
  s.start = Start::Replay;
  for (auto& m : history_)
    if (m->seq > a) s.replay.push_back(m);
  return s;
}

void SseStream::unsubscribe(unsigned worker) {
  std::lock_guard lk(mu_);
  if (subscribers_[worker]) --subscribers_[worker];
}

uint64_t SseStream::last_seq() const {
  std::lock_guard lk(mu_);
  return last_seq_;
}

std::vector<SseMessagePtr> SseStream::recent(size_t n) const {
  std::lock_guard lk(mu_);
  n = std::min(n, history_.size());
  return {history_.end() - static_cast<std::ptrdiff_t>(n), history_.end()};
}

size_t SseStream::history_count() const {
  std::lock_guard lk(mu_);
  return history_.size();
}

size_t SseStream::subscriber_count() const {
  std::lock_guard lk(mu_);
  size_t n = 0;
  for (auto c : subscribers_) n += c;
  return n;
}

}  // namespace sb::intra
