#include "api/bus_emit_endpoint.hpp"

#include <boost/json/parse.hpp>

#include "gateways/intra_service/event_bus.hpp"
#include "hub/topic_pattern.hpp"

namespace sb::api {

namespace json = boost::json;

net::HttpResponse handle_bus_emit(const net::HttpRequest& req, std::string_view name,
                                  intra::EventBus& bus) {
  if (req.method != "POST") return net::api_error(405, "method_not_allowed", "use POST");
  if (name.empty() || name.size() > 200 || !hub::valid_pattern(name) || hub::is_pattern(name))
    return net::api_error(400, "invalid_event",
                          "event names are dotted segments without wildcards, at most 200 bytes");
  json::value payload;
  if (!req.body.empty()) {
    boost::system::error_code ec;
    json::parse_options opt;
    opt.max_depth = 64;
    payload = json::parse(req.body, ec, {}, opt);
    if (ec) return net::api_error(400, "invalid_json", "request body is not valid JSON");
  }
  size_t routed = 0;
  const size_t handlers = bus.emit(name, std::move(payload), &routed);
  net::HttpResponse r;
  r.header("Content-Type", "application/json");
  r.body = "{\"ok\":true,\"handlers\":" + std::to_string(handlers) +
           ",\"routed\":" + std::to_string(routed) + "}";
  return r;
}

}  // namespace sb::api
