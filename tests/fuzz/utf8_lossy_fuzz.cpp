// Bytes read as UTF-8 with U+FFFD for invalid sequences (protocol/utf8.hpp),
// against the WHATWG Encoding standard's UTF-8 decoder written out step by
// step. Invariants: the same output; it is valid UTF-8; valid input is kept
// as it is; reading the output again changes nothing.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/utf8.hpp"

namespace {

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
        sb::append_utf8(out, b);
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
        sb::append_utf8(out, kReplacement);
      }
      continue;
    }
    if (b < lower || b > upper) {
      // The byte is read again (not consumed).
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      sb::append_utf8(out, kReplacement);
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    if (++seen == needed) {
      sb::append_utf8(out, cp);
      cp = needed = seen = 0;
    }
  }
  if (needed != 0) sb::append_utf8(out, kReplacement);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = sb::utf8_lossy(in);
  FUZZ_CHECK(out == whatwg_decode(in));
  FUZZ_CHECK(sb::valid_utf8(out));
  if (sb::valid_utf8(in)) FUZZ_CHECK(out == in);
  FUZZ_CHECK(sb::utf8_lossy(out) == out);
  return 0;
}
