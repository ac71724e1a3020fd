#pragma once
// POST /api/emit: lets services push to a room or a user before the full HTTP
// API exists. Body: {"room"|"user", "event", "data"|"args", "namespace"?, "except"?}.
#include <string>
#include <vector>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::sio {
class SioServer;
}

namespace sb::api {

// True when the request carries one of `keys` in X-API-Key or "Authorization: apikey <key>".
bool api_key_valid(const net::HttpRequest& req, const std::vector<std::string>& keys);

net::HttpResponse handle_emit(const net::HttpRequest& req, sio::SioServer& server);

}  // namespace sb::api
