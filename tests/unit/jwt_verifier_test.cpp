#include <gtest/gtest.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <random>
#include <stdexcept>
#include <thread>

#include "auth/jwt_verifier.hpp"

using sb::JwtResult;
using sb::JwtSettings;
using sb::JwtVerifier;
using sb::mint_jwt;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";

// Fresh key pair, PEM encoded, generated per test run (no key files in the tree).
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

KeyPair make_keys(const char* type, const char* param) {
  EVP_PKEY* key = std::string(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  if (!key) throw std::runtime_error("keygen failed");
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  KeyPair kp{bio_text(priv), bio_text(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return kp;
}

const KeyPair& rsa_keys() {
  static const KeyPair kp = make_keys("RSA", nullptr);
  return kp;
}
const KeyPair& ec_keys() {
  static const KeyPair kp = make_keys("EC", "P-256");
  return kp;
}

JwtSettings hs256() {
  JwtSettings s;
  s.algorithm = "HS256";
  s.key = kSecret;
  return s;
}

std::string b64url(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += abc[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
  }
  return out;
}

// Token with arbitrary claims (JSON object text), signed with libjwt directly.
std::string sign_claims(const std::string& claims_json, jwt_alg_t alg = JWT_ALG_HS256,
                        const std::string& key = kSecret) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims_json.c_str()), 0) << claims_json;
  jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* s = jwt_encode_str(jwt);
  std::string out = s ? s : "";
  std::free(s);
  jwt_free(jwt);
  return out;
}

long now() {
  return static_cast<long>(std::time(nullptr));
}

JwtResult verify(const JwtSettings& s, const std::string& token) {
  return JwtVerifier(s).verify(token);
}

TEST(Jwt, Hs256Valid) {
  std::string token = mint_jwt("HS256", kSecret, "user-1", 60s);
  JwtResult r = verify(hs256(), token);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.subject, "user-1");
  EXPECT_EQ(r.error, "");
  EXPECT_NE(r.claims_json.find("\"sub\":\"user-1\""), std::string::npos) << r.claims_json;
  EXPECT_NE(r.claims_json.find("\"exp\":"), std::string::npos);
  EXPECT_NE(r.claims_json.find("\"iat\":"), std::string::npos);
}

TEST(Jwt, ClaimsJsonKeepsCustomClaims) {
  JwtResult r = verify(hs256(), sign_claims(R"({"sub":"u","role":"admin","n":[1,2]})"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.claims_json, R"({"n":[1,2],"role":"admin","sub":"u"})");
}

TEST(Jwt, WrongSecret) {
  std::string token = mint_jwt("HS256", "another-secret-another-secret!!!", "u", 60s);
  JwtResult r = verify(hs256(), token);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "invalid signature");
  EXPECT_TRUE(r.subject.empty());
  EXPECT_TRUE(r.claims_json.empty());
}

TEST(Jwt, TamperedPayload) {
  std::string token = mint_jwt("HS256", kSecret, "alice", 60s);
  size_t a = token.find('.'), b = token.rfind('.');
  std::string forged = token.substr(0, a + 1) +
                       b64url(R"({"sub":"admin","exp":)" + std::to_string(now() + 60) + "}") +
                       token.substr(b);
  EXPECT_EQ(verify(hs256(), forged).error, "invalid signature");
}

TEST(Jwt, AlgNoneRejected) {
  std::string body = b64url(R"({"sub":"admin","exp":)" + std::to_string(now() + 60) + "}");
  for (std::string header : {R"({"alg":"none"})", R"({"alg":"none","typ":"JWT"})"}) {
    for (std::string sig : {"", "abc"}) {
      std::string token = b64url(header) + "." + body + "." + sig;
      EXPECT_FALSE(verify(hs256(), token).ok) << token;
      JwtSettings rs;
      rs.algorithm = "RS256";
      rs.key = rsa_keys().public_pem;
      EXPECT_FALSE(verify(rs, token).ok) << token;
    }
  }
  std::string token = b64url(R"({"alg":"none"})") + "." + body + ".";
  EXPECT_EQ(verify(hs256(), token).error, "algorithm mismatch");
}

TEST(Jwt, HsTokenGivenToRsVerifier) {
  // Classic confusion: HMAC the token with the RSA *public* key text as the secret.
  const std::string& pub = rsa_keys().public_pem;
  std::string token = mint_jwt("HS256", pub, "admin", 60s);
  JwtSettings rs;
  rs.algorithm = "RS256";
  rs.key = pub;
  JwtResult r = verify(rs, token);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "algorithm mismatch");
}

TEST(Jwt, RsTokenGivenToHsVerifier) {
  std::string token = mint_jwt("RS256", rsa_keys().private_pem, "u", 60s);
  EXPECT_EQ(verify(hs256(), token).error, "algorithm mismatch");
}

TEST(Jwt, EsTokenGivenToRsVerifier) {
  std::string token = mint_jwt("ES256", ec_keys().private_pem, "u", 60s);
  JwtSettings rs;
  rs.algorithm = "RS256";
  rs.key = rsa_keys().public_pem;
  EXPECT_EQ(verify(rs, token).error, "algorithm mismatch");
}

TEST(Jwt, OtherHmacAlgorithmsRejected) {
  std::string token = sign_claims(R"({"sub":"u"})", JWT_ALG_HS512);
  EXPECT_EQ(verify(hs256(), token).error, "algorithm mismatch");
}

TEST(Jwt, Expired) {
  std::string token = mint_jwt("HS256", kSecret, "u", -10s);
  EXPECT_EQ(verify(hs256(), token).error, "token expired");
  JwtSettings lenient = hs256();
  lenient.leeway = 60s;
  EXPECT_TRUE(verify(lenient, token).ok);
}

TEST(Jwt, ExpAsFloatAndInvalid) {
  EXPECT_TRUE(
      verify(hs256(), sign_claims(R"({"sub":"u","exp":)" + std::to_string(now() + 60) + ".5}")).ok);
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":"u","exp":1.5})")).error, "token expired");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":"u","exp":"tomorrow"})")).error,
            "invalid exp claim");
}

TEST(Jwt, NoExpIsAccepted) {
  EXPECT_TRUE(verify(hs256(), sign_claims(R"({"sub":"u"})")).ok);
}

TEST(Jwt, NotYetValid) {
  std::string token = sign_claims(R"({"sub":"u","nbf":)" + std::to_string(now() + 3600) + "}");
  EXPECT_EQ(verify(hs256(), token).error, "token not yet valid");
  std::string ok = sign_claims(R"({"sub":"u","nbf":)" + std::to_string(now() - 5) + "}");
  EXPECT_TRUE(verify(hs256(), ok).ok);
  JwtSettings lenient = hs256();
  lenient.leeway = 2h;
  EXPECT_TRUE(verify(lenient, token).ok);
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":"u","nbf":true})")).error, "invalid nbf claim");
}

TEST(Jwt, Audience) {
  JwtSettings s = hs256();
  s.audience = "switchboard";
  EXPECT_TRUE(verify(s, mint_jwt("HS256", kSecret, "u", 60s, "switchboard")).ok);
  EXPECT_EQ(verify(s, mint_jwt("HS256", kSecret, "u", 60s, "other")).error, "audience mismatch");
  EXPECT_EQ(verify(s, mint_jwt("HS256", kSecret, "u", 60s)).error, "missing aud");
  EXPECT_TRUE(verify(s, sign_claims(R"({"sub":"u","aud":["a","switchboard"]})")).ok);
  EXPECT_EQ(verify(s, sign_claims(R"({"sub":"u","aud":["a","b"]})")).error, "audience mismatch");
  EXPECT_EQ(verify(s, sign_claims(R"({"sub":"u","aud":[]})")).error, "audience mismatch");
  EXPECT_EQ(verify(s, sign_claims(R"({"sub":"u","aud":["switchboard",1]})")).error,
            "invalid aud claim");
  EXPECT_EQ(verify(s, sign_claims(R"({"sub":"u","aud":7})")).error, "invalid aud claim");
  // Escapes in array items are decoded before comparing.
  s.audience = "a\"b/\xC3\xA9\xF0\x9F\x98\x80";
  EXPECT_TRUE(verify(s, sign_claims(R"({"sub":"u","aud":["x","a\"b\/\u00e9\ud83d\ude00"]})")).ok);
  // Without a configured audience, aud is not checked.
  EXPECT_TRUE(verify(hs256(), mint_jwt("HS256", kSecret, "u", 60s, "anything")).ok);
}

TEST(Jwt, Issuer) {
  JwtSettings s = hs256();
  s.issuer = "https://issuer.example.com";
  EXPECT_TRUE(verify(s, mint_jwt("HS256", kSecret, "u", 60s, "", s.issuer)).ok);
  EXPECT_EQ(verify(s, mint_jwt("HS256", kSecret, "u", 60s, "", "https://evil.example.com")).error,
            "issuer mismatch");
  EXPECT_EQ(verify(s, mint_jwt("HS256", kSecret, "u", 60s)).error, "missing iss");
  EXPECT_EQ(verify(s, sign_claims(R"({"sub":"u","iss":5})")).error, "missing iss");
}

TEST(Jwt, Subject) {
  EXPECT_EQ(verify(hs256(), mint_jwt("HS256", kSecret, "", 60s)).error, "missing sub");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":""})")).error, "missing sub");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":null})")).error, "invalid sub");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":1.5})")).error, "invalid sub");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":{"id":1}})")).error, "invalid sub");
  JwtResult r = verify(hs256(), sign_claims(R"({"sub":12345678901})"));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.subject, "12345678901");
  EXPECT_EQ(verify(hs256(), sign_claims(R"({"sub":-7})")).subject, "-7");
}

TEST(Jwt, PayloadMustBeAnObject) {
  // libjwt accepts any JSON payload; a non-object is not a claims set.
  std::string header = b64url(R"({"alg":"HS256","typ":"JWT"})");
  std::string body = b64url("[1]");
  // Not validly signed either, but the structure check must not crash or pass.
  EXPECT_FALSE(verify(hs256(), header + "." + body + ".c2ln").ok);
}

TEST(Jwt, Garbage) {
  JwtVerifier v(hs256());
  const std::string valid = mint_jwt("HS256", kSecret, "u", 60s);
  std::vector<std::string> inputs = {"",
                                     ".",
                                     "..",
                                     "a.b",
                                     "a.b.c",
                                     "a.b.c.d",
                                     "!!!.???.###",
                                     valid + " ",
                                     " " + valid,
                                     "Bearer " + valid,
                                     valid.substr(0, valid.size() - 3),
                                     valid + "A",
                                     valid + ".x",
                                     b64url("{}") + "." + b64url("{}") + ".x",
                                     b64url("not json") + "." + b64url("{}") + ".x",
                                     b64url(R"({"alg":"HS256"})") + "." + b64url("{") + ".x",
                                     std::string("a\0b.c.d", 7)};
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::string s(static_cast<size_t>(rng() % 300), '\0');
    for (char& c : s) c = static_cast<char>(rng());
    inputs.push_back(s);
  }
  for (const auto& in : inputs) {
    JwtResult r = v.verify(in);
    EXPECT_FALSE(r.ok) << in;
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_EQ(v.verify("").error, "malformed token");
  EXPECT_EQ(v.verify("a.b").error, "malformed token");
  EXPECT_EQ(v.verify(std::string(8193, 'a')).error, "token too long");
  EXPECT_EQ(v.verify(std::string(1 << 20, 'a')).error, "token too long");
  EXPECT_TRUE(v.verify(valid).ok);  // the verifier is unaffected by what came before
}

TEST(Jwt, Rs256) {
  std::string token = mint_jwt("RS256", rsa_keys().private_pem, "rsa-user", 60s, "aud", "iss");
  JwtSettings s;
  s.algorithm = "RS256";
  s.key = rsa_keys().public_pem;
  s.audience = "aud";
  s.issuer = "iss";
  JwtResult r = verify(s, token);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.subject, "rsa-user");

  // Signed by a different key.
  KeyPair other = make_keys("RSA", nullptr);
  EXPECT_EQ(verify(s, mint_jwt("RS256", other.private_pem, "u", 60s, "aud", "iss")).error,
            "invalid signature");
  EXPECT_EQ(verify(s, mint_jwt("RS256", rsa_keys().private_pem, "u", -1s, "aud", "iss")).error,
            "token expired");
}

TEST(Jwt, Es256) {
  std::string token = mint_jwt("ES256", ec_keys().private_pem, "ec-user", 60s);
  JwtSettings s;
  s.algorithm = "ES256";
  s.key = ec_keys().public_pem;
  JwtResult r = verify(s, token);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.subject, "ec-user");

  // R||S signature is 64 bytes -> 86 base64url chars (JOSE format, not DER).
  EXPECT_EQ(token.size() - token.rfind('.') - 1, 86u);

  KeyPair other = make_keys("EC", "P-256");
  EXPECT_EQ(verify(s, mint_jwt("ES256", other.private_pem, "u", 60s)).error, "invalid signature");
  // Flip one signature character (not the last: its low 2 bits are padding that decoders ignore).
  std::string bad = token;
  char& c = bad[token.rfind('.') + 10];
  c = c == 'A' ? 'Q' : 'A';
  EXPECT_EQ(verify(s, bad).error, "invalid signature");
}

TEST(Jwt, ConstructorRejectsBadSettings) {
  JwtSettings s = hs256();
  s.algorithm = "none";
  EXPECT_THROW(JwtVerifier{s}, std::invalid_argument);
  s.algorithm = "HS512";
  EXPECT_THROW(JwtVerifier{s}, std::invalid_argument);
  s = hs256();
  s.key.clear();
  EXPECT_THROW(JwtVerifier{s}, std::invalid_argument);

  JwtSettings rs;
  rs.algorithm = "RS256";
  rs.key = "not a pem";
  EXPECT_THROW(JwtVerifier{rs}, std::invalid_argument);
  rs.key = rsa_keys().private_pem;  // private instead of public
  EXPECT_THROW(JwtVerifier{rs}, std::invalid_argument);
  rs.key = ec_keys().public_pem;  // wrong key type
  EXPECT_THROW(JwtVerifier{rs}, std::invalid_argument);

  JwtSettings es;
  es.algorithm = "ES256";
  es.key = rsa_keys().public_pem;
  EXPECT_THROW(JwtVerifier{es}, std::invalid_argument);
  es.key = make_keys("EC", "P-384").public_pem;
  EXPECT_THROW(JwtVerifier{es}, std::invalid_argument);
  es.key = ec_keys().public_pem;
  EXPECT_NO_THROW(JwtVerifier{es});
}

TEST(Jwt, WeakRsaKeyRejected) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  ASSERT_NE(key, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  JwtSettings rs;
  rs.algorithm = "RS256";
  rs.key = bio_text(pub);
  BIO_free(pub);
  EVP_PKEY_free(key);
  EXPECT_THROW(JwtVerifier{rs}, std::invalid_argument);
}

TEST(Jwt, MintErrors) {
  EXPECT_THROW(mint_jwt("none", kSecret, "u", 60s), std::runtime_error);
  EXPECT_THROW(mint_jwt("HS256", "", "u", 60s), std::runtime_error);
  EXPECT_THROW(mint_jwt("RS256", "garbage", "u", 60s), std::runtime_error);
  EXPECT_THROW(mint_jwt("ES256", rsa_keys().private_pem, "u", 60s), std::runtime_error);
}

TEST(Jwt, ConcurrentVerify) {
  JwtSettings s;
  s.algorithm = "ES256";
  s.key = ec_keys().public_pem;
  JwtVerifier v(s);
  const std::string good = mint_jwt("ES256", ec_keys().private_pem, "u", 60s);
  const std::string bad = mint_jwt("ES256", make_keys("EC", "P-256").private_pem, "u", 60s);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!v.verify(good).ok) ++failures;
        if (v.verify(bad).ok) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

}  // namespace
