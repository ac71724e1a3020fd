#pragma once
// Bytes read as UTF-8 text the way browsers' TextDecoder and Node's
// Buffer#toString do: each invalid sequence becomes U+FFFD. Broker payloads
// are read this way before they are parsed as JSON (as NestJS reads them), so
// text that is not JSON becomes a JSON string that is valid text, and what
// we serialize is always valid JSON.
#include <string>
#include <string_view>

namespace sb {

// `bytes` with every maximal ill-formed subpart (Unicode's "best practice",
// WHATWG Encoding) replaced by U+FFFD: overlong forms, surrogates, code
// points above U+10FFFF, stray continuation bytes and a sequence cut short
// (also at the end) each give one U+FFFD per maximal subpart. Valid UTF-8
// comes back unchanged.
std::string utf8_lossy(std::string_view bytes);

// The same without a copy when `bytes` is valid UTF-8 (the common case):
// returns `bytes` itself, else the text written to `storage`.
std::string_view utf8_lossy(std::string_view bytes, std::string& storage);

}  // namespace sb
