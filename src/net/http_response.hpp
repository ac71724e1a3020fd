#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::net {

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
  bool close = false;  // close the connection after this response

  HttpResponse& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

const char* status_reason(int status);

// Status line, headers, Content-Length, Connection and body.
std::string serialize(const HttpResponse& r, bool keep_alive);

// A JSON error response in the HTTP API's shape: {"error":{"code":..,"message":..}}.
HttpResponse api_error(int status, std::string_view code, std::string_view message);

}  // namespace sb::net
