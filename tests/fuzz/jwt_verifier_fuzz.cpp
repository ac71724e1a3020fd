// Bearer tokens (Socket.IO handshake auth, SSE header/query) through the JWT
// verifier, HS256 with a fixed secret.
// Invariants: verify never throws; success means a subject; a token we mint
// verifies, and one with a changed signature does not.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt_verifier.hpp"
#include "fuzz_check.hpp"

using namespace sb;

static const std::string kSecret = "fuzz-secret-0123456789abcdef0123456789";

static const JwtVerifier& verifier() {
  static const JwtVerifier v(JwtSettings{"HS256", kSecret, "", "", std::chrono::seconds(0)});
  return v;
}

// With `aud` and `iss` configured, the claims' own parsing runs too.
static const JwtVerifier& strict_verifier() {
  static const JwtVerifier v(JwtSettings{"HS256", kSecret, "api", "sb", std::chrono::seconds(5)});
  return v;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  for (const JwtVerifier* v : {&verifier(), &strict_verifier()}) {
    const JwtResult r = v->verify(token);
    if (r.ok)
      FUZZ_CHECK(!r.subject.empty() && !r.claims_json.empty());
    else
      FUZZ_CHECK(!r.error.empty());
  }

  // A real token whose subject comes from the input; flipping a signature byte breaks it.
  const std::string sub(token.substr(0, 64));
  if (sub.empty() || sub.find('\0') != std::string::npos) return 0;  // libjwt takes C strings
  std::string good;
  try {
    good = mint_jwt("HS256", kSecret, sub, std::chrono::seconds(3600));
  } catch (const std::runtime_error&) {
    return 0;  // a subject libjwt refuses to put in a token
  }
  const JwtResult g = verifier().verify(good);
  FUZZ_CHECK(g.ok && g.subject == sub);
  // The first signature character: all of its bits count (the last one's may not).
  std::string bad = good;
  char& c = bad[bad.rfind('.') + 1];
  c = c == 'A' ? 'B' : 'A';
  FUZZ_CHECK(!verifier().verify(bad).ok);
  return 0;
}
