#pragma once
// The route targets this binary serves: "sse:<stream>" (SseServer),
// "room:<room>" and "user:<id>" (SioServer, in the route's namespace).
// "broker:<topic>" has no sink until the inter-service gateway registers one
// (RouteTable::set_sink("broker", ...)); until then such routes fail, counted.
#include <memory>

#include "hub/route_table.hpp"

namespace sb::sio {
class SioServer;
}
namespace sb::intra {
class SseServer;
}

namespace sb {

std::shared_ptr<hub::RouteSink> make_sse_sink(intra::SseServer& sse);
std::shared_ptr<hub::RouteSink> make_room_sink(sio::SioServer& sio, bool user);

}  // namespace sb
