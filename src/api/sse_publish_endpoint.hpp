#pragma once
// POST /api/sse/<stream>: publishes one event to an SSE stream.
// Body: {"event"?: "name", "data": <any JSON>} (sent as JSON text) or
//       {"event"?: "name", "text": "raw\nlines"} (sent as is).
// Answer: {"ok":true,"id":"<epoch>-<seq>"}; unknown stream 404, bad body 400.
#include <string_view>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::intra {
class SseServer;
}

namespace sb::api {

net::HttpResponse handle_sse_publish(const net::HttpRequest& req, std::string_view stream,
                                     intra::SseServer& sse);

}  // namespace sb::api
