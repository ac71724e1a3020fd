#pragma once
// POST /api/emit: lets services push to a room or a user before the full HTTP
// API exists. Body: {"room"|"user", "event", "data"|"args", "namespace"?, "except"?}.
// To a user, with the inbox on: "store": true keeps it in the user's inbox
// first ("deliver_missed" too: push on the next connect if the user is
// offline); the answer then comes after the commit: {"ok": true, "id": "<id>"}.
#include <functional>
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

using Respond = std::function<void(net::HttpResponse)>;

// Calls `respond` once: at once, or from the inbox thread for a stored notification.
void handle_emit(const net::HttpRequest& req, sio::SioServer& server, Respond respond);

}  // namespace sb::api
