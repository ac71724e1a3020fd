#pragma once
// The TLS server context: a certificate chain and its key from PEM files,
// TLS 1.2+ only, no compression. A reload builds a new context and puts it in
// the slot; connections hold the one they started with (shared_ptr).
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace sb::net {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// Throws std::runtime_error naming the file when one cannot be read or parsed,
// or when the key does not match the certificate.
TlsContextPtr make_tls_context(const std::string& cert_file, const std::string& key_file);

// The context new connections use: read on every TLS accept, replaced on reload.
class TlsContextSlot {
 public:
  explicit TlsContextSlot(TlsContextPtr ctx) : ctx_(std::move(ctx)) {}
  TlsContextPtr get() const {
    std::lock_guard lk(mu_);
    return ctx_;
  }
  void set(TlsContextPtr ctx) {
    std::lock_guard lk(mu_);
    ctx_ = std::move(ctx);
  }

 private:
  mutable std::mutex mu_;
  TlsContextPtr ctx_;
};

}  // namespace sb::net
