#include "auth/jwt_verifier.hpp"

#include <jwt.h>
#include <openssl/err.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace sb {

namespace json = boost::json;

struct JwtVerifier::Impl {
  JwtSettings s;
  jwt_alg_t alg = JWT_ALG_NONE;
};

static jwt_alg_t parse_alg(const std::string& name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "RS256") return JWT_ALG_RS256;
  if (name == "ES256") return JWT_ALG_ES256;
  throw std::invalid_argument("unknown JWT algorithm \"" + name + "\" (HS256, RS256, ES256)");
}

JwtVerifier::JwtVerifier(JwtSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->alg = parse_alg(settings.algorithm);
  if (settings.key.empty()) throw std::invalid_argument("empty JWT key");
  if (impl_->alg != JWT_ALG_HS256 && settings.key.find("-----BEGIN") == std::string::npos)
    throw std::invalid_argument(settings.algorithm + " needs a PEM public key");
  impl_->s = std::move(settings);
}

JwtVerifier::~JwtVerifier() = default;

static int64_t now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

JwtResult JwtVerifier::verify(std::string_view token) const {
  JwtResult r;
  if (token.empty()) return r.error = "missing token", r;
  if (token.size() > 8192) return r.error = "token too long", r;
  const std::string tok(token);
  jwt_t* jwt = nullptr;
  const auto& key = impl_->s.key;
  if (jwt_decode(&jwt, tok.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 0 ||
      !jwt) {
    // A failed signature check leaves errors in this thread's OpenSSL queue,
    // where a later TLS call on the same worker would find them.
    ERR_clear_error();
    if (jwt) jwt_free(jwt);
    return r.error = "invalid token", r;
  }
  // The algorithm is the config's, never the token's: this also stops an HS256
  // token "signed" with an RSA public key.
  if (jwt_get_alg(jwt) != impl_->alg) {
    jwt_free(jwt);
    return r.error = "invalid token", r;
  }
  char* grants = jwt_get_grants_json(jwt, nullptr);
  jwt_free(jwt);
  if (!grants) return r.error = "invalid token", r;
  r.claims_json = grants;
  free(grants);

  boost::system::error_code ec;
  json::value claims = json::parse(r.claims_json, ec);
  if (ec || !claims.is_object()) return r.error = "invalid token", r;
  const auto& o = claims.as_object();
  const int64_t now = now_seconds();
  const int64_t leeway = impl_->s.leeway.count();
  auto number = [&](const char* k, int64_t& out) {
    auto* v = o.if_contains(k);
    if (!v) return false;
    if (v->is_int64())
      out = v->as_int64();
    else if (v->is_uint64())
      out = static_cast<int64_t>(v->as_uint64());
    else if (v->is_double())
      out = static_cast<int64_t>(v->as_double());
    else
      out = INT64_MIN;
    return true;
  };
  int64_t t = 0;
  if (number("exp", t) && (t == INT64_MIN || now >= t + leeway))
    return r.error = "token expired", r;
  if (number("nbf", t) && (t == INT64_MIN || now + leeway < t))
    return r.error = "token not yet valid", r;
  if (!impl_->s.issuer.empty()) {
    auto* iss = o.if_contains("iss");
    if (!iss || !iss->is_string() || iss->as_string() != impl_->s.issuer)
      return r.error = "invalid issuer", r;
  }
  if (!impl_->s.audience.empty()) {
    auto* aud = o.if_contains("aud");
    bool ok = false;
    if (aud && aud->is_string()) ok = aud->as_string() == impl_->s.audience;
    if (aud && aud->is_array())
      for (auto& a : aud->as_array())
        ok = ok || (a.is_string() && a.as_string() == impl_->s.audience);
    if (!ok) return r.error = "invalid audience", r;
  }
  auto* sub = o.if_contains("sub");
  if (sub && sub->is_string() && !sub->as_string().empty())
    r.subject = std::string(sub->as_string());
  else if (sub && (sub->is_int64() || sub->is_uint64()))
    r.subject = json::serialize(*sub);  // numeric ids are common
  else
    return r.error = "missing sub", r;
  r.ok = true;
  return r;
}

std::string mint_jwt(const std::string& algorithm, const std::string& key, const std::string& sub,
                     std::chrono::seconds ttl, const std::string& audience,
                     const std::string& issuer) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) throw std::runtime_error("jwt_new failed");
  const int64_t now = now_seconds();
  jwt_add_grant(jwt, "sub", sub.c_str());
  jwt_add_grant_int(jwt, "iat", now);
  jwt_add_grant_int(jwt, "exp", now + ttl.count());
  if (!audience.empty()) jwt_add_grant(jwt, "aud", audience.c_str());
  if (!issuer.empty()) jwt_add_grant(jwt, "iss", issuer.c_str());
  if (jwt_set_alg(jwt, parse_alg(algorithm), reinterpret_cast<const unsigned char*>(key.data()),
                  static_cast<int>(key.size())) != 0) {
    jwt_free(jwt);
    throw std::runtime_error("cannot sign with this key");
  }
  char* out = jwt_encode_str(jwt);
  jwt_free(jwt);
  if (!out) throw std::runtime_error("cannot sign with this key");
  std::string token(out);
  free(out);
  return token;
}

}  // namespace sb
