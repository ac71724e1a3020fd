#pragma once
// Event ids of Switchboard's SSE streams and the parsing of Last-Event-ID.
//
// Format: "<epoch>-<seq>[.<seq>...]", all decimal.
//   epoch  the server instance (its start time in ms): a different epoch means
//          the server restarted and its in-memory history is gone.
//   seq    per stream, starts at 1 and increases by one per published event.
// A connection to several streams (/sse?topic=a&topic=b) carries one seq per
// stream, in the order of the topics in its URL, so one id resumes them all.
// A connection to one stream has exactly one seq: "1732531200123-42".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::sse {

struct EventPosition {
  uint64_t epoch = 0;
  std::vector<uint64_t> seqs;  // one per stream of the connection
};

enum class IdError { None, Empty, TooLong, Malformed, TooManyParts };

inline constexpr size_t kMaxEventIdLength = 512;

// Parses a Last-Event-ID value. Leading/trailing spaces are not allowed; every
// number must be decimal digits that fit in 64 bits; at most `max_parts` seqs.
IdError parse_event_id(std::string_view text, EventPosition& out, size_t max_parts);

// "<epoch>-<s1>.<s2>..."
std::string format_event_id(uint64_t epoch, const std::vector<uint64_t>& seqs);
void append_event_id(std::string& out, uint64_t epoch, const uint64_t* seqs, size_t n);

const char* to_string(IdError e);

}  // namespace sb::sse
