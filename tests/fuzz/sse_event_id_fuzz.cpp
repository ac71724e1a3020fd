// Last-Event-ID values (an SSE request header or ?lastEventId=).
// Invariant: a parsed id formats back to the same position.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/sse_event_id.hpp"

using namespace sb::sse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (size_t max_parts : {size_t{1}, size_t{16}}) {
    EventPosition pos;
    const IdError err = parse_event_id(in, pos, max_parts);
    FUZZ_CHECK(to_string(err) != nullptr);
    if (err != IdError::None) continue;
    FUZZ_CHECK(!pos.seqs.empty() && pos.seqs.size() <= max_parts);
    const std::string text = format_event_id(pos.epoch, pos.seqs);
    EventPosition again;
    FUZZ_CHECK(parse_event_id(text, again, max_parts) == IdError::None);
    FUZZ_CHECK(again.epoch == pos.epoch && again.seqs == pos.seqs);
    FUZZ_CHECK(text.size() <= in.size());  // leading zeros only ever shrink
  }
  return 0;
}
