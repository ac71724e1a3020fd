#pragma once
// A minimal blocking HTTP/1.1 client for the command line tools (emit, api):
// plain http:// only, one request per connection, a timeout on the whole call.
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sb {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string base;  // path prefix without the trailing slash ("" for the root)
};
// Parses "http://host[:port][/base]". Throws std::invalid_argument (https included:
// put a TLS proxy's plain side or the node's own address).
HttpUrl parse_http_url(const std::string& url);

struct HttpResult {
  int status = 0;
  std::string body;
};

// Throws std::runtime_error when the server cannot be reached or does not answer in time.
HttpResult http_call(const HttpUrl& url, const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace sb
