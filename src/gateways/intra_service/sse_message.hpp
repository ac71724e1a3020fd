#pragma once
// One published SSE event, encoded once and shared by every subscriber and by
// the stream's history. The bytes are "event:/data:" fields followed by the id
// line and the blank line; connections to one stream write them as they are,
// connections to several streams write the fields and then their own id line
// (it carries one position per stream, see protocol/sse_event_id.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sb::intra {

struct SseMessage {
  uint64_t seq = 0;    // position in its stream (1, 2, ...)
  uint64_t order = 0;  // server-wide publish order: merges replays of several streams
  int level = -1;      // log level of a `logs` record (filtering); -1 = not filtered
  std::string bytes;
  uint32_t id_offset = 0;  // where "id: ..." starts

  std::string_view fields() const { return std::string_view(bytes).substr(0, id_offset); }
};

using SseMessagePtr = std::shared_ptr<const SseMessage>;

}  // namespace sb::intra
