#include "api/broadcast_endpoint.hpp"

#include <boost/json/serialize.hpp>

#include "api/api_json.hpp"
#include "api/emit_options.hpp"
#include "gateways/client/sio_server.hpp"

namespace sb::api {

namespace json = boost::json;

net::HttpResponse handle_broadcast(const net::HttpRequest& req, sio::SioServer& server) {
  if (req.method != "POST") return net::api_error(405, "method_not_allowed", "use POST");
  net::HttpResponse err;
  auto body = parse_json_object(req.body, err);
  if (!body) return err;
  auto& o = *body;
  auto* event = o.if_contains("event");
  if (!event || !event->is_string() || event->as_string().empty())
    return net::api_error(400, "invalid_request", "\"event\" must be a non-empty string");
  std::string nsp = "/";
  if (auto* v = o.if_contains("namespace")) {
    if (!v->is_string())
      return net::api_error(400, "invalid_request", "\"namespace\" must be a string");
    nsp = normalize_namespace(v->as_string());
  }
  if (!server.find_namespace(nsp))
    return net::api_error(404, "unknown_namespace", "no namespace \"" + nsp + "\"");
  auto op = server.in(nsp);
  size_t targets = 0;
  // Rooms are names; users are ids (strings or integers) that become "user:<id>".
  auto add = [&](const char* key, bool users) -> std::optional<net::HttpResponse> {
    auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (!v->is_array())
      return net::api_error(400, "invalid_request",
                            std::string("\"") + key + "\" must be an array");
    for (auto& e : v->as_array()) {
      std::string name;
      if (e.is_string())
        name = std::string(e.as_string());
      else if (users && (e.is_int64() || e.is_uint64()))
        name = json::serialize(e);
      if (name.empty())
        return net::api_error(400, "invalid_request",
                              std::string("\"") + key + "\" must hold non-empty " +
                                  (users ? "user ids" : "room names"));
      if (++targets > kMaxBroadcastTargets)
        return net::api_error(
            413, "too_many_targets",
            "at most " + std::to_string(kMaxBroadcastTargets) + " rooms and users per call");
      op.to(users ? "user:" + name : std::move(name));
    }
    return std::nullopt;
  };
  if (auto e = add("rooms", false)) return *e;
  if (auto e = add("users", true)) return *e;
  if (targets == 0)
    return net::api_error(400, "invalid_request", "give \"rooms\" and/or \"users\" (non-empty)");
  json::array args;
  if (auto e = read_emit_options(o, op, args)) return *e;
  op.emit(std::string_view(event->as_string()), std::move(args));
  return json_response(json::object{{"ok", true}, {"targets", targets}});
}

}  // namespace sb::api
