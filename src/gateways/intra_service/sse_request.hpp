#pragma once
// What an SSE request asks for, parsed and bounded before anything is
// subscribed:
//   GET /sse/<stream>                     one stream
//   GET /sse?topic=a&topic=b              several (at most max_topics)
//   Last-Event-ID header or ?lastEventId= resume position (header wins)
//   ?level=warn                           minimum log level (the `logs` stream)
//   ?history=N                            on a new connection, replay the last N events
//   Authorization: Bearer <jwt> or ?token=<jwt>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "net/http_request.hpp"
#include "protocol/sse_event_id.hpp"

namespace sb::intra {

struct SseRequest {
  std::vector<std::string> streams;  // in URL order, no duplicates
  std::optional<sse::EventPosition> last_event_id;
  int min_level = -1;  // -1: everything
  size_t history = 0;
  std::string token;
};

struct SseRequestError {
  int status = 400;
  std::string code;
  std::string message;
};

// `path_prefix` is "/sse". Returns an error for anything malformed.
std::optional<SseRequestError> parse_sse_request(const net::HttpRequest& req, size_t max_topics,
                                                 SseRequest& out);

// spdlog's numbering: trace 0, debug 1, info 2, warn 3, error 4, critical 5. -1 if unknown.
int parse_log_level(std::string_view s);

}  // namespace sb::intra
