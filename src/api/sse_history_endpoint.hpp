#pragma once
// GET /api/sse/<stream>?limit=N: the events a stream keeps for resume (its
// history, `sse.history_size`), oldest first:
//   {stream, kept, last_id, items: [{id, event, data}]}  (data as SSE clients see it)
// limit: 1..1000, default 100. Unknown stream 404, bad name 400.
#include <string_view>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::intra {
class SseServer;
}

namespace sb::api {

net::HttpResponse handle_sse_history(const net::HttpRequest& req, std::string_view stream,
                                     const intra::SseServer& sse);

}  // namespace sb::api
