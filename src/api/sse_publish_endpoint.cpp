#include "api/sse_publish_endpoint.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "gateways/intra_service/sse_server.hpp"

namespace sb::api {

namespace json = boost::json;

net::HttpResponse handle_sse_publish(const net::HttpRequest& req, std::string_view stream,
                                     intra::SseServer& sse) {
  if (req.method != "POST") return net::api_error(405, "method_not_allowed", "use POST");
  json::value body;
  {
    boost::system::error_code ec;
    json::parse_options opt;
    opt.max_depth = 64;
    body = json::parse(req.body, ec, {}, opt);
    if (ec) return net::api_error(400, "invalid_json", "request body is not valid JSON");
  }
  if (!body.is_object())
    return net::api_error(400, "invalid_request", "body must be a JSON object");
  auto& o = body.as_object();
  std::string event;
  if (auto* e = o.if_contains("event")) {
    if (!e->is_string())
      return net::api_error(400, "invalid_request", "\"event\" must be a string");
    event = std::string(e->as_string());
  }
  const json::value* data = o.if_contains("data");
  const json::value* text = o.if_contains("text");
  if ((data != nullptr) == (text != nullptr))
    return net::api_error(400, "invalid_request", "give either \"data\" (JSON) or \"text\"");
  std::string payload;
  if (text) {
    if (!text->is_string())
      return net::api_error(400, "invalid_request", "\"text\" must be a string");
    payload = std::string(text->as_string());
  } else {
    payload = json::serialize(*data);
  }
  auto r = sse.publish(stream, event, payload);
  if (!r.ok) return net::api_error(r.status, r.code, r.message);
  net::HttpResponse resp;
  resp.header("Content-Type", "application/json");
  resp.body = "{\"ok\":true,\"id\":\"" + r.id + "\"}";
  return resp;
}

}  // namespace sb::api
