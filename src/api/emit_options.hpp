#pragma once
// The emit options /api/emit and /api/broadcast share: "except" (rooms to
// leave out), "args" (the event's arguments) or "data" (one argument), and
// "volatile". Both endpoints read them the same way and refuse the same
// mistakes with the same 400s.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>

#include "gateways/client/sio_server.hpp"
#include "net/http_response.hpp"

namespace sb::api {

// Applies "except" and "volatile" to `op` and fills `args`; a 400 answer when
// one of them has the wrong type.
std::optional<net::HttpResponse> read_emit_options(const boost::json::object& o,
                                                   sio::BroadcastOperator& op,
                                                   boost::json::array& args);

}  // namespace sb::api
