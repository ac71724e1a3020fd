// Bytes read as UTF-8 with U+FFFD for invalid sequences (protocol/utf8_lossy),
// against the WHATWG Encoding standard's UTF-8 decoder written out step by
// step. Invariants: the same output; it is valid UTF-8; valid input is kept
// as it is; reading the output again changes nothing.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/utf8_lossy.hpp"
#include "protocol/websocket_frame.hpp"

namespace {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// https://encoding.spec.whatwg.org/#utf-8-decoder, error mode "replacement".
std::string whatwg_decode(std::string_view in) {
  constexpr uint32_t kReplacement = 0xFFFD;
  std::string out;
  uint32_t cp = 0, needed = 0, seen = 0, lower = 0x80, upper = 0xBF;
  for (size_t i = 0; i < in.size();) {
    const uint32_t b = static_cast<unsigned char>(in[i]);
    if (needed == 0) {
      ++i;
      if (b <= 0x7F) {
        append_utf8(out, b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2;
        cp = b & 0xF;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3;
        cp = b & 0x7;
      } else {
        append_utf8(out, kReplacement);
      }
      continue;
    }
    if (b < lower || b > upper) {
      // The byte is read again (not consumed).
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      append_utf8(out, kReplacement);
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      append_utf8(out, cp);
      cp = needed = seen = 0;
    }
  }
  if (needed != 0) append_utf8(out, kReplacement);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = sb::utf8_lossy(in);
  FUZZ_CHECK(out == whatwg_decode(in));
  FUZZ_CHECK(sb::ws::valid_utf8(out));
  if (sb::ws::valid_utf8(in)) FUZZ_CHECK(out == in);
  FUZZ_CHECK(sb::utf8_lossy(out) == out);
  return 0;
}
