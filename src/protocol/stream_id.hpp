#pragma once
// Redis Stream entry ids ("<ms>-<seq>", two unsigned 64-bit numbers), the
// offsets of connection state recovery across cluster nodes. Compared as
// number pairs, never as strings ("9-0" < "10-0"). Pure.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::protocol {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  bool empty() const { return ms == 0 && seq == 0; }  // "0-0": no entry
  auto operator<=>(const StreamId&) const = default;
  std::string to_string() const;
};

// "<ms>-<seq>" with both parts decimal, no sign, no spaces; nullopt otherwise
// (a client may send anything as its offset).
std::optional<StreamId> parse_stream_id(std::string_view text);

}  // namespace sb::protocol
