#pragma once
// A parsed HTTP/1.1 request as the gateways see it (no parser types leak out).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/socket.io/?EIO=4&transport=polling"
  std::string path;    // target before '?', percent-decoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool upgrade_websocket = false;  // "Upgrade: websocket" + "Connection: upgrade"
  std::string remote_address;
  bool secure = false;  // arrived over TLS (the [tls] port)

  // First value or empty view.
  std::string_view header(std::string_view lower_name) const;
  bool has_header(std::string_view lower_name) const;
  std::string_view query_param(std::string_view name) const;
  bool has_query_param(std::string_view name) const;
};

// Splits a target into path and query, percent-decoding both ('+' is a space in queries).
// Returns false on a malformed escape.
bool parse_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);

}  // namespace sb::net
