#include "protocol/stream_id.hpp"

#include <charconv>

namespace sb::protocol {

std::string StreamId::to_string() const {
  return std::to_string(ms) + "-" + std::to_string(seq);
}

static bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<StreamId> parse_stream_id(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  StreamId id;
  if (!parse_u64(text.substr(0, dash), id.ms) || !parse_u64(text.substr(dash + 1), id.seq))
    return std::nullopt;
  return id;
}

}  // namespace sb::protocol
