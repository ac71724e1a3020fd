#include "auth/jwt_verifier.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <vector>

#include "protocol/utf8.hpp"

namespace sb {
namespace {

constexpr size_t kMaxTokenBytes = 8 * 1024;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CFree {
  void operator()(char* p) const { std::free(p); }
};
using CString = std::unique_ptr<char, CFree>;

// libjwt and PEM parsing leave entries on the thread's OpenSSL error queue on failure; stale
// entries there make later SSL_get_error() calls on the same thread (TLS sockets) misreport.
struct ClearOpenSslErrors {
  ~ClearOpenSslErrors() { ERR_clear_error(); }
};

jwt_alg_t supported_alg(const std::string& name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "RS256") return JWT_ALG_RS256;
  if (name == "ES256") return JWT_ALG_ES256;
  return JWT_ALG_INVAL;
}

void check_public_key(const std::string& alg, const std::string& pem) {
  ClearOpenSslErrors clear;
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                          &BIO_free);
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr, &EVP_PKEY_free);
  if (!key)
    throw std::invalid_argument(alg + " needs a PEM public key (-----BEGIN PUBLIC KEY-----)");
  if (alg == "RS256") {
    if (!EVP_PKEY_is_a(key.get(), "RSA")) throw std::invalid_argument("RS256 needs an RSA key");
    if (EVP_PKEY_get_bits(key.get()) < 2048)  // RFC 7518 section 3.3
      throw std::invalid_argument("RS256 needs an RSA key of at least 2048 bits");
  } else {
    char group[64] = {};
    size_t len = 0;
    if (!EVP_PKEY_is_a(key.get(), "EC") ||
        !EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) ||
        std::string_view(group, len) != "prime256v1")
      throw std::invalid_argument("ES256 needs an EC P-256 (prime256v1) key");
  }
}

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// header.payload.signature, base64url without padding. Filtering here keeps odd bytes (NUL,
// whitespace) away from libjwt's C-string parsing.
bool well_formed(std::string_view t) {
  size_t dots = 0;
  for (char c : t) {
    if (c == '.') {
      ++dots;
    } else if (!is_base64url(c)) {
      return false;
    }
  }
  if (dots != 2) return false;
  size_t first = t.find('.');
  size_t second = t.find('.', first + 1);
  return first > 0 && second > first + 1;
}

std::optional<std::string> grant_json(jwt_t* jwt, const char* name) {
  CString s(jwt_get_grants_json(jwt, name));
  if (!s) return std::nullopt;
  return std::string(s.get());
}

std::optional<double> json_number(std::string_view text) {
  if (text.empty() || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9'))) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool json_integer(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Minimal reader for a JSON array of strings (an `aud` array as printed by jansson); libjwt 1.10
// offers no array accessor. Returns nullopt for anything else.
class StringArrayReader {
 public:
  explicit StringArrayReader(std::string_view s) : s_(s) {}

  std::optional<std::vector<std::string>> read() {
    std::vector<std::string> out;
    ws();
    if (!eat('[')) return std::nullopt;
    ws();
    if (eat(']')) return done(out);
    while (true) {
      ws();
      auto item = string();
      if (!item) return std::nullopt;
      out.push_back(std::move(*item));
      ws();
      if (eat(']')) return done(out);
      if (!eat(',')) return std::nullopt;
    }
  }

 private:
  std::optional<std::vector<std::string>> done(std::vector<std::string>& out) {
    ws();
    if (i_ != s_.size()) return std::nullopt;
    return std::move(out);
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  std::optional<uint32_t> hex4() {
    if (s_.size() - i_ < 4) return std::nullopt;
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, v, 16);
    if (ec != std::errc() || end != s_.data() + i_ + 4) return std::nullopt;
    i_ += 4;
    return v;
  }
  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      switch (char e = s_[i_++]) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return std::nullopt;
          if (*cp >= 0xD800 && *cp < 0xDC00) {  // surrogate pair
            if (!eat('\\') || !eat('u')) return std::nullopt;
            auto lo = hex4();
            if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return std::nullopt;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
          }
          append_utf8(out, *cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

struct JwtVerifier::Impl {
  JwtSettings settings;
  jwt_alg_t alg = JWT_ALG_INVAL;
};

JwtVerifier::JwtVerifier(JwtSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->alg = supported_alg(settings.algorithm);
  if (impl_->alg == JWT_ALG_INVAL)
    throw std::invalid_argument("unsupported JWT algorithm \"" + settings.algorithm +
                                "\" (expected HS256, RS256 or ES256)");
  if (settings.key.empty()) throw std::invalid_argument("empty JWT key");
  if (impl_->alg != JWT_ALG_HS256) check_public_key(settings.algorithm, settings.key);
  if (settings.leeway.count() < 0) throw std::invalid_argument("negative JWT leeway");
  impl_->settings = std::move(settings);
}

JwtVerifier::~JwtVerifier() = default;

JwtResult JwtVerifier::verify(std::string_view token) const {
  ClearOpenSslErrors clear;
  const JwtSettings& s = impl_->settings;
  JwtResult r;
  auto fail = [&r](const char* error) {
    r.error = error;
    return r;
  };
  if (token.size() > kMaxTokenBytes) return fail("token too long");
  if (!well_formed(token)) return fail("malformed token");
  const std::string tok(token);

  // Without a key, libjwt 1.10 parses but verifies nothing (and reports alg "none"); we use that
  // only to read the declared alg. It must equal ours *before* verifying: given an RS256 public
  // key, libjwt would happily check an "HS256" token's HMAC with the PEM text as the secret.
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, tok.c_str(), nullptr, 0) != 0) {
    jwt_free(raw);
    return fail("malformed token");
  }
  JwtPtr unverified(raw);
  const char* declared = jwt_get_header(unverified.get(), "alg");
  if (!declared || s.algorithm != declared) return fail("algorithm mismatch");
  unverified.reset();

  raw = nullptr;
  if (jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(s.key.data()),
                 static_cast<int>(s.key.size())) != 0) {
    jwt_free(raw);
    return fail("invalid signature");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != impl_->alg) return fail("algorithm mismatch");

  auto claims = grant_json(jwt.get(), nullptr);
  if (!claims || claims->empty() || claims->front() != '{')  // libjwt accepts any JSON payload
    return fail("malformed token");

  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto leeway = static_cast<double>(s.leeway.count());
  if (auto exp = grant_json(jwt.get(), "exp")) {
    auto v = json_number(*exp);
    if (!v) return fail("invalid exp claim");
    if (now >= *v + leeway) return fail("token expired");
  }
  if (auto nbf = grant_json(jwt.get(), "nbf")) {
    auto v = json_number(*nbf);
    if (!v) return fail("invalid nbf claim");
    if (now + leeway < *v) return fail("token not yet valid");
  }
  if (!s.issuer.empty()) {
    const char* iss = jwt_get_grant(jwt.get(), "iss");
    if (!iss) return fail("missing iss");
    if (s.issuer != iss) return fail("issuer mismatch");
  }
  if (!s.audience.empty()) {
    auto aud = grant_json(jwt.get(), "aud");
    if (!aud) return fail("missing aud");
    bool match = false;
    if (const char* one = jwt_get_grant(jwt.get(), "aud")) {
      match = s.audience == one;
    } else {
      auto list = StringArrayReader(*aud).read();
      if (!list) return fail("invalid aud claim");
      for (const auto& a : *list) match = match || a == s.audience;
    }
    if (!match) return fail("audience mismatch");
  }

  auto sub = grant_json(jwt.get(), "sub");
  if (!sub) return fail("missing sub");
  if (const char* str = jwt_get_grant(jwt.get(), "sub")) {
    if (!*str) return fail("missing sub");
    r.subject = str;
  } else if (json_integer(*sub)) {  // numeric user ids are common; jansson prints them plainly
    r.subject = *sub;
  } else {
    return fail("invalid sub");
  }

  r.ok = true;
  r.claims_json = std::move(*claims);
  return r;
}

std::string mint_jwt(const std::string& algorithm, const std::string& key, const std::string& sub,
                     std::chrono::seconds ttl, const std::string& audience,
                     const std::string& issuer) {
  ClearOpenSslErrors clear;
  const jwt_alg_t alg = supported_alg(algorithm);
  if (alg == JWT_ALG_INVAL)
    throw std::runtime_error("mint_jwt: unsupported algorithm \"" + algorithm + "\"");
  if (key.empty()) throw std::runtime_error("mint_jwt: empty key");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("mint_jwt: out of memory");
  JwtPtr jwt(raw);
  const long now = static_cast<long>(std::time(nullptr));
  int rc = 0;
  if (!sub.empty()) rc |= jwt_add_grant(jwt.get(), "sub", sub.c_str());  // "" = no sub (tests)
  rc |= jwt_add_grant_int(jwt.get(), "iat", now);
  rc |= jwt_add_grant_int(jwt.get(), "exp", now + static_cast<long>(ttl.count()));
  if (!audience.empty()) rc |= jwt_add_grant(jwt.get(), "aud", audience.c_str());
  if (!issuer.empty()) rc |= jwt_add_grant(jwt.get(), "iss", issuer.c_str());
  rc |= jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(key.data()),
                    static_cast<int>(key.size()));
  if (rc != 0) throw std::runtime_error("mint_jwt: cannot build the token");
  CString out(jwt_encode_str(jwt.get()));
  if (!out)
    throw std::runtime_error("mint_jwt: signing failed (" + algorithm +
                             (alg == JWT_ALG_HS256 ? ")" : " needs a PEM private key)"));
  return out.get();
}

}  // namespace sb
