#pragma once
// POST /api/events/<name>: emits an event on the in-process bus, so services
// can reach the bus's handlers and config routes over HTTP. The body (JSON,
// may be empty) is the payload. Answer: {"ok":true,"handlers":<subscriptions
// that matched>,"routed":<route deliveries made>}.
#include <string_view>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::intra {
class EventBus;
}

namespace sb::api {

net::HttpResponse handle_bus_emit(const net::HttpRequest& req, std::string_view name,
                                  intra::EventBus& bus);

}  // namespace sb::api
