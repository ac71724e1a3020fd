#include "protocol/sse_event_id.hpp"

namespace sb::sse {

static bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

IdError parse_event_id(std::string_view text, EventPosition& out, size_t max_parts) {
  out = {};
  if (text.empty()) return IdError::Empty;
  if (text.size() > kMaxEventIdLength) return IdError::TooLong;
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return IdError::Malformed;
  if (!parse_u64(text.substr(0, dash), out.epoch)) return IdError::Malformed;
  std::string_view rest = text.substr(dash + 1);
  for (;;) {
    const auto dot = rest.find('.');
    uint64_t seq = 0;
    if (!parse_u64(rest.substr(0, dot), seq)) return IdError::Malformed;
    if (out.seqs.size() >= max_parts) return IdError::TooManyParts;
    out.seqs.push_back(seq);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return IdError::None;
}

void append_event_id(std::string& out, uint64_t epoch, const uint64_t* seqs, size_t n) {
  out += std::to_string(epoch);
  out += '-';
  for (size_t i = 0; i < n; ++i) {
    if (i) out += '.';
    out += std::to_string(seqs[i]);
  }
}

std::string format_event_id(uint64_t epoch, const std::vector<uint64_t>& seqs) {
  std::string s;
  append_event_id(s, epoch, seqs.data(), seqs.size());
  return s;
}

const char* to_string(IdError e) {
  switch (e) {
    case IdError::None:
      return "ok";
    case IdError::Empty:
      return "empty event id";
    case IdError::TooLong:
      return "event id too long";
    case IdError::Malformed:
      return "malformed event id (expected <epoch>-<seq>[.<seq>...])";
    case IdError::TooManyParts:
      return "event id has more positions than the connection has streams";
  }
  return "malformed event id";
}

}  // namespace sb::sse
