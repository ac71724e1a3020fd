#pragma once
// The keys in force: the JWT verifier and the HTTP API keys. Readers take a
// snapshot (a shared_ptr copy under a mutex, once per handshake or request,
// never per message); SIGHUP swaps in new ones without a restart.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sb {

class JwtVerifier;

class KeyRing {
 public:
  using ApiKeys = std::vector<std::string>;

  KeyRing(std::shared_ptr<const JwtVerifier> verifier, ApiKeys api_keys);

  // Null when no JWT key is configured.
  std::shared_ptr<const JwtVerifier> verifier() const;
  // Empty when the HTTP API is off.
  std::shared_ptr<const ApiKeys> api_keys() const;

  void set(std::shared_ptr<const JwtVerifier> verifier, ApiKeys api_keys);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const JwtVerifier> verifier_;
  std::shared_ptr<const ApiKeys> api_keys_;
};

}  // namespace sb
