#include "protocol/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace sb {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// At p[0..n), n > 0: the length of the well-formed sequence starting there
// (1..4), or, negated, the length of its maximal ill-formed subpart (at
// least 1): the lead byte and the continuation bytes that were still valid.
int sequence_at(const unsigned char* p, size_t n) {
  const unsigned c = p[0];
  if (c < 0x80) return 1;
  int len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return -1;  // continuation byte, C0/C1 (overlong), F5..FF
  }
  for (int i = 1; i < len; ++i) {
    if (static_cast<size_t>(i) >= n || p[i] < lo || p[i] > hi) return -i;
    lo = 0x80;
    hi = 0xBF;
  }
  return len;
}

// Length of the valid prefix of p[0..n).
size_t valid_prefix(const unsigned char* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // ASCII, 8 bytes at a time
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const int k = sequence_at(p + i, n - i);
    if (k < 0) break;
    i += static_cast<size_t>(k);
  }
  return i;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  return valid_prefix(reinterpret_cast<const unsigned char*>(s.data()), s.size()) == s.size();
}

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

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  const std::string_view text = utf8_lossy(bytes, out);
  return text.data() == bytes.data() ? std::string(bytes) : out;
}

std::string_view utf8_lossy(std::string_view bytes, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = valid_prefix(p, n);
  if (i == n) return bytes;
  out.clear();
  out.reserve(n + 2 * kReplacement.size());
  out.append(bytes.data(), i);
  while (i < n) {
    const int k = sequence_at(p + i, n - i);
    if (k > 0) {
      out.append(bytes.data() + i, static_cast<size_t>(k));
      i += static_cast<size_t>(k);
    } else {
      out.append(kReplacement);
      i += static_cast<size_t>(-k);
    }
  }
  return out;
}

}  // namespace sb
