#include "jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>

namespace sbl {

static std::string b64url(const std::string& in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
  }
  return out;
}

std::string make_hs256_jwt(const std::string& secret, const std::string& sub, int64_t ttl_seconds) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::string head = b64url(R"({"alg":"HS256","typ":"JWT"})");
  std::string body = b64url(R"({"sub":")" + sub + R"(","iat":)" + std::to_string(now) +
                            R"(,"exp":)" + std::to_string(now + ttl_seconds) + "}");
  std::string signing = head + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), mac, &mac_len);
  return signing + "." + b64url(std::string(reinterpret_cast<char*>(mac), mac_len));
}

}  // namespace sbl
