#pragma once
// UTF-8 text (pure): strict validation (WebSocket text frames), bytes read
// as text the way browsers' TextDecoder and Node's Buffer#toString do (each
// invalid sequence becomes U+FFFD), and one code point written out. Broker
// payloads are read the lossy way before they are parsed as JSON (as NestJS
// reads them), so text that is not JSON becomes a JSON string that is valid
// text, and what we serialize is always valid JSON.
#include <cstdint>
#include <string>
#include <string_view>

namespace sb {

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s);

// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, uint32_t cp);

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
