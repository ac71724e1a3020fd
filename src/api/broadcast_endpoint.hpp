#pragma once
// POST /api/broadcast: one event to many rooms and users in one call.
// Body: {"rooms"?: [..], "users"?: [..], "event", "data"|"args", "namespace"?,
//        "except"?: [..], "volatile"?}. A socket in several of the rooms gets
// the event once. Answer: {"ok":true,"targets":<rooms + users>}.
#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::sio {
class SioServer;
}

namespace sb::api {

inline constexpr size_t kMaxBroadcastTargets = 1000;

net::HttpResponse handle_broadcast(const net::HttpRequest& req, sio::SioServer& server);

}  // namespace sb::api
