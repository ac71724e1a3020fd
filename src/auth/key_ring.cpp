#include "auth/key_ring.hpp"

namespace sb {

KeyRing::KeyRing(std::shared_ptr<const JwtVerifier> verifier, ApiKeys api_keys)
    : verifier_(std::move(verifier)),
      api_keys_(std::make_shared<const ApiKeys>(std::move(api_keys))) {}

std::shared_ptr<const JwtVerifier> KeyRing::verifier() const {
  std::lock_guard lk(mu_);
  return verifier_;
}

std::shared_ptr<const KeyRing::ApiKeys> KeyRing::api_keys() const {
  std::lock_guard lk(mu_);
  return api_keys_;
}

void KeyRing::set(std::shared_ptr<const JwtVerifier> verifier, ApiKeys api_keys) {
  auto keys = std::make_shared<const ApiKeys>(std::move(api_keys));
  std::lock_guard lk(mu_);
  verifier_ = std::move(verifier);
  api_keys_ = std::move(keys);
}

}  // namespace sb
