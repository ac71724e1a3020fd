#pragma once
// CORS for the Engine.IO endpoint and the HTTP API: which origins get
// Access-Control-Allow-Origin, and the preflight answer.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  CorsPolicy(std::vector<std::string> origins, bool credentials)
      : origins_(std::move(origins)), credentials_(credentials) {}

  bool enabled() const { return !origins_.empty(); }
  // Headers for a response to a request with this Origin (may be empty).
  std::vector<std::pair<std::string, std::string>> headers(std::string_view origin) const;
  // Extra headers of a preflight (OPTIONS) answer.
  std::vector<std::pair<std::string, std::string>> preflight(std::string_view origin,
                                                             std::string_view req_headers) const;

 private:
  std::vector<std::string> origins_;
  bool credentials_ = false;
};

}  // namespace sb
