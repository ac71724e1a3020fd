#pragma once
// HS256 JSON Web Tokens for the per-user scenarios (sub = user id).
#include <cstdint>
#include <string>

namespace sbl {

std::string make_hs256_jwt(const std::string& secret, const std::string& sub,
                           int64_t ttl_seconds = 86400);

}  // namespace sbl
