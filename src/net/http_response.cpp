#include "net/http_response.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace sb::net {

const char* status_reason(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string serialize(const HttpResponse& r, bool keep_alive) {
  std::string out;
  out.reserve(128 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += status_reason(r.status);
  out += "\r\n";
  for (auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\n";
  out += (keep_alive && !r.close) ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

HttpResponse api_error(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.body = "{\"error\":{\"code\":" + boost::json::serialize(boost::json::string(code)) +
           ",\"message\":" + boost::json::serialize(boost::json::string(message)) + "}}";
  return r;
}

}  // namespace sb::net
