#include "gateways/intra_service/sse_connection.hpp"

#include "net/stream_connection.hpp"
#include "protocol/sse_codec.hpp"
#include "protocol/sse_event_id.hpp"

namespace sb::intra {

std::string SseConnection::event_id() const {
  std::string id;
  id += std::to_string(epoch_);
  id += '-';
  for (size_t i = 0; i < topics_.size(); ++i) {
    if (i) id += '.';
    id += std::to_string(topics_[i].position);
  }
  return id;
}

bool SseConnection::deliver(uint32_t t, const SseMessagePtr& m) {
  Topic& topic = topics_[t];
  // At or below our position: already replayed (a publish that raced the subscribe).
  if (m->seq <= topic.position) return false;
  topic.position = m->seq;
  if (m->level >= 0 && m->level < min_level_) return false;
  if (topics_.size() == 1) {
    out_->send(m, m->bytes);  // the shared bytes, id line included
    return true;
  }
  // Several streams: the shared fields, then this client's own position vector.
  out_->send(m, m->fields());
  std::string id = "id: " + event_id() + "\n\n";
  out_->send(std::move(id));
  return true;
}

void SseConnection::control(std::string_view event, std::string_view data) {
  std::string s;
  sse::append_fields(s, event, data);
  sse::append_id(s, event_id());
  s += '\n';
  out_->send(std::move(s));
}

}  // namespace sb::intra
