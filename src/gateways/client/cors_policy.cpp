#include "gateways/client/cors_policy.hpp"

namespace sb {

std::vector<std::pair<std::string, std::string>> CorsPolicy::headers(
    std::string_view origin) const {
  std::vector<std::pair<std::string, std::string>> h;
  if (origins_.empty()) return h;
  bool any = false, listed = false;
  for (auto& o : origins_) {
    if (o == "*") any = true;
    if (!origin.empty() && o == origin) listed = true;
  }
  if (any && !credentials_) {
    h.emplace_back("Access-Control-Allow-Origin", "*");
    return h;
  }
  if ((any || listed) && !origin.empty()) {
    // Echo the origin: required with credentials, and for an explicit list.
    h.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    h.emplace_back("Vary", "Origin");
    if (credentials_) h.emplace_back("Access-Control-Allow-Credentials", "true");
  }
  return h;
}

std::vector<std::pair<std::string, std::string>> CorsPolicy::preflight(
    std::string_view origin, std::string_view req_headers) const {
  auto h = headers(origin);
  if (h.empty()) return h;
  h.emplace_back("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE");
  if (!req_headers.empty()) {
    h.emplace_back("Access-Control-Allow-Headers", std::string(req_headers));
    h.emplace_back("Vary", "Access-Control-Request-Headers");
  }
  return h;
}

}  // namespace sb
