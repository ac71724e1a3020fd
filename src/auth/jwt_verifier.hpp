#pragma once
// Verifies JWTs with the algorithm and key from the config, never from the token.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace sb {

struct JwtSettings {
  std::string algorithm = "HS256";  // HS256 | RS256 | ES256
  std::string key;                  // HS256 secret, or PEM public key text
  std::string audience;             // required match when non-empty
  std::string issuer;               // required match when non-empty
  std::chrono::seconds leeway{0};
};

struct JwtResult {
  bool ok = false;
  std::string subject;      // `sub` claim
  std::string error;        // "invalid signature", "token expired", "missing sub", ...
  std::string claims_json;  // whole payload as JSON text (for handlers)
};

class JwtVerifier {
 public:
  // Throws std::invalid_argument for an unknown algorithm or an unusable key.
  explicit JwtVerifier(JwtSettings settings);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Thread-safe. Checks signature, alg header == configured, exp, nbf, aud, iss, sub present.
  JwtResult verify(std::string_view token) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Mints a token (tests, the dev `mint-token` command). `key` is the HS256 secret or a PEM
// private key. Throws std::runtime_error on failure.
std::string mint_jwt(const std::string& algorithm, const std::string& key, const std::string& sub,
                     std::chrono::seconds ttl, const std::string& audience = "",
                     const std::string& issuer = "");

}  // namespace sb
