#include "api/api_router.hpp"

#include <boost/json/parse.hpp>
#include <mutex>

#include "api/api_json.hpp"
#include "api/batch.hpp"
#include "api/broadcast_endpoint.hpp"
#include "api/bus_emit_endpoint.hpp"
#include "api/inbox_endpoint.hpp"
#include "api/presence_endpoint.hpp"
#include "api/sse_history_endpoint.hpp"
#include "api/sse_publish_endpoint.hpp"

#include "auth/key_ring.hpp"

namespace sb::api {

namespace json = boost::json;

static bool starts_with(std::string_view s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

void ApiRouter::handle(const net::HttpRequest& req, Respond respond) {
  auto ring_keys = ctx_.key_ring ? ctx_.key_ring->api_keys() : nullptr;
  const auto& keys = ring_keys ? *ring_keys : ctx_.keys;
  if (keys.empty())
    return respond(net::api_error(404, "api_disabled", "no API keys are configured"));
  if (!api_key_valid(req, keys))
    return respond(net::api_error(401, "unauthorized", "missing or invalid API key"));
  dispatch(req, std::move(respond));
}

void ApiRouter::dispatch(const net::HttpRequest& req, Respond respond) {
  std::string_view path = req.path;
  if (path == "/api/emit") return handle_emit(req, *ctx_.sio, std::move(respond));
  if (path == "/api/broadcast") return respond(handle_broadcast(req, *ctx_.sio));
  if (path == "/api/batch") return batch(req, std::move(respond));
  if (path == "/api/node")
    return handle_node(req, ctx_.node, *ctx_.presence, *ctx_.sse, std::move(respond));
  if (path == "/api/server-emit")
    return handle_server_emit(req, ctx_.server_emit, *ctx_.sio, std::move(respond));
  if (path == "/api/presence" || path == "/api/rooms" || path == "/api/disconnect" ||
      starts_with(path, "/api/presence/") || starts_with(path, "/api/rooms/"))
    return handle_presence(req, path.substr(5), *ctx_.presence, *ctx_.sio, std::move(respond));
  if (starts_with(path, "/api/inbox/"))
    return handle_inbox(req, path.substr(11), ctx_.inbox, std::move(respond));
  if (starts_with(path, "/api/sse/")) {
    if (req.method == "GET") return respond(handle_sse_history(req, path.substr(9), *ctx_.sse));
    if (req.method != "POST")
      return respond(net::api_error(405, "method_not_allowed", "use GET or POST"));
    return respond(handle_sse_publish(req, path.substr(9), *ctx_.sse));
  }
  if (starts_with(path, "/api/events/"))
    return respond(handle_bus_emit(req, path.substr(12), *ctx_.bus));
  respond(net::api_error(404, "not_found", "no route for " + req.path));
}

void ApiRouter::batch(const net::HttpRequest& req, Respond respond) {
  if (req.method != "POST") return respond(net::api_error(405, "method_not_allowed", "use POST"));
  auto parsed = parse_batch(req.body);
  if (parsed.error) return respond(std::move(*parsed.error));
  // Results arrive in any order and from any thread (the inbox answers from
  // its own); the last one sends the whole answer.
  struct State {
    std::mutex mu;
    json::array results;
    size_t left;
    Respond respond;
  };
  const size_t n = parsed.commands.size();
  auto st = std::make_shared<State>();
  st->results.resize(n);
  st->left = n;
  st->respond = std::move(respond);
  auto put = [st](size_t i, net::HttpResponse r) {
    boost::system::error_code ec;
    json::value body = json::parse(r.body, ec);
    json::object o = !ec && body.is_object() ? std::move(body.as_object()) : json::object{};
    o["status"] = r.status;
    bool last;
    {
      std::lock_guard lk(st->mu);
      st->results[i] = std::move(o);
      last = --st->left == 0;
    }
    if (!last) return;
    size_t ok = 0;
    for (auto& v : st->results)
      if (v.as_object().at("status").to_number<int64_t>() < 300) ++ok;
    const size_t total = st->results.size();
    st->respond(json_response(json::object{
        {"results", std::move(st->results)}, {"succeeded", ok}, {"failed", total - ok}}));
  };
  for (size_t i = 0; i < n; ++i) {
    auto& c = parsed.commands[i];
    if (c.error) {
      put(i, std::move(*c.error));
      continue;
    }
    c.request.headers = req.headers;  // e.g. the key, for endpoints that read headers
    dispatch(c.request, [put, i](net::HttpResponse r) { put(i, std::move(r)); });
  }
}

}  // namespace sb::api
