#include "api/server_emit_endpoint.hpp"

#include "api/api_json.hpp"
#include "gateways/client/sio_server.hpp"
#include "hub/topic_pattern.hpp"

namespace sb::api {

namespace json = boost::json;

void handle_server_emit(const net::HttpRequest& req, const ServerEmit& emit, sio::SioServer& server,
                        Respond respond) {
  if (req.method != "POST") return respond(net::api_error(405, "method_not_allowed", "use POST"));
  net::HttpResponse err;
  auto body = parse_json_object(req.body, err);
  if (!body) return respond(std::move(err));
  auto& o = *body;
  auto* ev = o.if_contains("event");
  if (!ev || !ev->is_string() || ev->as_string().empty() || ev->as_string().size() > 200 ||
      !hub::valid_pattern(ev->as_string()) || hub::is_pattern(ev->as_string()))
    return respond(net::api_error(
        400, "invalid_event",
        "\"event\": dotted segments without wildcards, at most 200 bytes, is required"));
  std::string nsp = "/";
  if (auto* v = o.if_contains("namespace")) {
    if (!v->is_string())
      return respond(net::api_error(400, "invalid_request", "\"namespace\" must be a string"));
    nsp = normalize_namespace(v->as_string());
    if (!server.find_namespace(nsp))
      return respond(net::api_error(404, "unknown_namespace", "no namespace \"" + nsp + "\""));
  }
  uint32_t timeout_ms = 0;
  if (auto* v = o.if_contains("timeout_ms")) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 60000)
      return respond(
          net::api_error(400, "invalid_request", "\"timeout_ms\" must be an integer 1..60000"));
    timeout_ms = static_cast<uint32_t>(v->as_int64());
  }
  json::array data{ev->as_string()};
  if (auto* d = o.if_contains("data")) data.push_back(*d);
  emit(nsp, std::move(data), timeout_ms, [respond = std::move(respond)](ServerEmitResult r) {
    json::array list;
    for (auto& x : r.responses) list.push_back(std::move(x));
    respond(json_response(json::object{
        {"responses", std::move(list)}, {"nodes", r.nodes}, {"nodes_expected", r.expected}}));
  });
}

}  // namespace sb::api
