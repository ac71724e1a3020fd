#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <stdexcept>

namespace sb::net {

namespace ssl = boost::asio::ssl;

// OpenSSL's own reason ("no start line", "key values mismatch"), else asio's.
static std::string reason(const boost::system::error_code& ec) {
  const unsigned long e = ERR_peek_last_error();
  const char* r = e ? ERR_reason_error_string(e) : nullptr;
  std::string out = r ? r : ec.message();
  ERR_clear_error();
  return out;
}

static void must_read(const char* key, const std::string& path) {
  if (path.empty()) throw std::runtime_error(std::string(key) + ": not set");
  if (!std::ifstream(path))
    throw std::runtime_error(std::string(key) + ": cannot read \"" + path + "\"");
}

TlsContextPtr make_tls_context(const std::string& cert_file, const std::string& key_file) {
  must_read("tls.cert", cert_file);
  must_read("tls.key", key_file);
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Client-initiated TLS 1.2 renegotiation costs the server a handshake each time.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // Idle connections are most of them: give their read and write buffers back.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("tls.cert: \"" + cert_file + "\" is not a PEM certificate (" +
                             reason(ec) + ")");
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("tls.key: \"" + key_file +
                             "\" is not a PEM private key, or does not match tls.cert (" +
                             reason(ec) + ")");
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw std::runtime_error("tls.key: \"" + key_file + "\" does not match tls.cert \"" +
                             cert_file + "\"");
  }
  return ctx;
}

}  // namespace sb::net
