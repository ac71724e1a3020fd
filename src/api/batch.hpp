#pragma once
// POST /api/batch: many commands in one call. Pure part: turning the body into
// one internal request per command (the router runs each through the same
// endpoint as its own HTTP call, so a command behaves exactly like that call).
//
//   {"commands": [{"command": "emit", ...body of /api/emit},
//                 {"command": "broadcast", ...body of /api/broadcast},
//                 {"command": "disconnect", ...body of /api/disconnect},
//                 {"command": "sse_publish", "stream": "news", ...body of /api/sse/<stream>},
//                 {"command": "bus_emit", "name": "user.created", "payload"?: <json>}]}
//
// Answer (200 unless the batch itself is malformed): {"results": [...], "succeeded", "failed"},
// one result per command in order: {"status": <HTTP status>, ...that call's answer}.
#include <optional>
#include <string_view>
#include <vector>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::api {

inline constexpr size_t kMaxBatchCommands = 100;

struct BatchCommand {
  net::HttpRequest request;                // valid when !error
  std::optional<net::HttpResponse> error;  // this command alone is invalid
};

struct BatchParse {
  std::optional<net::HttpResponse> error;  // the whole batch is refused
  std::vector<BatchCommand> commands;
};

BatchParse parse_batch(std::string_view body, size_t max_commands = kMaxBatchCommands);

}  // namespace sb::api
