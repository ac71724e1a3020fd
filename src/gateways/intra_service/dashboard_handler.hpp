#pragma once
// GET /dashboard (and /dashboard/<file>): the live dashboard page, served from
// the bytes embedded in the binary. It reads the `metrics` and `logs` SSE
// streams. With dashboard.auth = "api_key" the page needs ?key=<API key> (or
// X-API-Key) and passes the key on to its streams; "none" leaves it open.
#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::intra {

// `authorized`: the caller passed the dashboard's guard.
net::HttpResponse serve_dashboard(const net::HttpRequest& req, bool authorized);

}  // namespace sb::intra
