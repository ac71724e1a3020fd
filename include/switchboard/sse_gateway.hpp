#pragma once
// Server-Sent Events: publish to the streams of [[sse.streams]] (clients read
// GET /sse/<stream>, resume with Last-Event-ID).
#include <string>
#include <string_view>

#include "switchboard/json.hpp"

namespace sb::intra {
class SseServer;
}

namespace switchboard {

struct Published {
  bool ok = false;
  std::string id;     // the event's id when ok
  std::string error;  // "unknown_stream", ... when not
};

class SseGateway {
 public:
  explicit SseGateway(sb::intra::SseServer& sse) : sse_(&sse) {}

  // `data` as JSON text on the data: lines. Thread-safe.
  Published publish(std::string_view stream, std::string_view event, const Json& data);
  // `text` as is.
  Published publish_text(std::string_view stream, std::string_view event, std::string_view text);

 private:
  sb::intra::SseServer* sse_;
};

}  // namespace switchboard
