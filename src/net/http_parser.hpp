#pragma once
// Incremental HTTP/1.1 request parser: bytes in, an HttpRequest out. No I/O,
// so the connection and the fuzzer (tests/fuzz) run the same code. Beast
// stays behind the pimpl.
#include <cstdint>
#include <memory>
#include <string>

#include "net/http_request.hpp"

namespace sb::net {

class HttpRequestParser {
 public:
  enum class Status : uint8_t {
    NeedMore,         // all of the input was taken, the request is not complete
    Done,             // `out` holds the request; unread bytes stay in the input
    BadRequest,       // -> 400
    HeadersTooLarge,  // -> 431
    BodyTooLarge,     // -> 413
  };

  HttpRequestParser();
  ~HttpRequestParser();
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Starts a new request with these limits.
  void reset(size_t max_header_bytes, uint64_t max_body_bytes);
  // Consumes bytes from the front of `in`. On Done, `out` is the request
  // (remote_address left empty) and the parser must be reset for the next one.
  Status feed(std::string& in, HttpRequest& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether a comma-separated header value holds `token` (lower-case), ignoring case
// and blanks: "keep-alive, Upgrade" holds "upgrade".
bool header_has_token(std::string_view value, std::string_view token);

}  // namespace sb::net
