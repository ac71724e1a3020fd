#include "api/emit_endpoint.hpp"

#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/emit_options.hpp"
#include "gateways/client/inbox_service.hpp"
#include "gateways/client/sio_server.hpp"

namespace sb::api {

namespace json = boost::json;

bool api_key_valid(const net::HttpRequest& req, const std::vector<std::string>& keys) {
  std::string_view given = req.header("x-api-key");
  if (given.empty()) {
    std::string_view auth = req.header("authorization");
    if (auth.size() > 7 && (auth.substr(0, 7) == "apikey " || auth.substr(0, 7) == "ApiKey "))
      given = auth.substr(7);
  }
  if (given.empty()) return false;
  bool ok = false;
  for (auto& k : keys) {
    // Constant time per key: no early exit on the first differing byte.
    if (k.size() == given.size() && CRYPTO_memcmp(k.data(), given.data(), k.size()) == 0) ok = true;
  }
  return ok;
}

static net::HttpResponse emit_now(const net::HttpRequest& req, sio::SioServer& server,
                                  Respond& respond);

void handle_emit(const net::HttpRequest& req, sio::SioServer& server, Respond respond) {
  auto r = emit_now(req, server, respond);
  if (respond) respond(std::move(r));  // not handed to the inbox
}

// Answers at once, or moves `respond` into the inbox call (left empty then).
static net::HttpResponse emit_now(const net::HttpRequest& req, sio::SioServer& server,
                                  Respond& respond) {
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
  auto str = [&](const char* key) -> const json::string* {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? &v->as_string() : nullptr;
  };
  const json::string* event = str("event");
  if (!event || event->empty())
    return net::api_error(400, "invalid_request", "\"event\" must be a non-empty string");
  std::string nsp = "/";
  if (auto* v = o.if_contains("namespace")) {
    if (!v->is_string())
      return net::api_error(400, "invalid_request", "\"namespace\" must be a string");
    nsp = std::string(v->as_string());
    if (nsp.empty() || nsp[0] != '/') nsp = "/" + nsp;
  }
  if (!server.find_namespace(nsp))
    return net::api_error(404, "unknown_namespace", "no namespace \"" + nsp + "\"");
  auto flag = [&](const char* key, std::optional<bool>& out) -> bool {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return true;
    if (!v->is_bool()) return false;
    out = v->as_bool();
    return true;
  };
  std::optional<bool> store, deliver_missed;
  if (!flag("store", store))
    return net::api_error(400, "invalid_request", "\"store\" must be true or false");
  if (!flag("deliver_missed", deliver_missed))
    return net::api_error(400, "invalid_request", "\"deliver_missed\" must be true or false");
  auto op = server.in(nsp);
  const json::string* room = str("room");
  const json::value* user = o.if_contains("user");
  const bool to_user = !(room && !room->empty()) && user &&
                       (user->is_string() || user->is_int64() || user->is_uint64());
  auto* inbox = server.inbox();
  // The default (inbox.store_by_default) applies to what can be stored: one `data`, no
  // `except`, not volatile; anything else is emitted as before.
  const bool storable = !o.contains("args") && !o.contains("except") && !o.contains("volatile");
  const bool stored = to_user && nsp == "/" &&
                      store.value_or(storable && inbox && inbox->options().store_by_default);
  if (store.value_or(false) && !stored)
    return net::api_error(400, "invalid_request",
                          "\"store\" applies to a \"user\" on the \"/\" namespace");
  if (stored) {
    if (!inbox) return net::api_error(409, "inbox_disabled", "the inbox is off ([inbox] enabled)");
    if (!storable)
      return net::api_error(400, "invalid_request",
                            "a stored notification takes \"data\" (no \"args\", \"except\" "
                            "or \"volatile\")");
    std::string id = user->is_string() ? std::string(user->as_string()) : json::serialize(*user);
    if (id.empty()) return net::api_error(400, "invalid_request", "\"user\" must not be empty");
    sio::NotifyOptions opts;
    opts.store = true;
    opts.deliver_missed = deliver_missed;
    opts.on_stored = [respond = std::move(respond)](sio::NotifyResult r) {
      if (!r.ok) return respond(net::api_error(503, "storage_error", r.error));
      net::HttpResponse ok;
      ok.header("Content-Type", "application/json");
      ok.body = json::serialize(json::object{{"ok", true}, {"id", r.id}});
      respond(std::move(ok));
    };
    respond = nullptr;
    const json::value* d = o.if_contains("data");
    server.notify_user(id, std::string_view(*event), d ? *d : json::value(nullptr),
                       std::move(opts));
    return {};
  }
  if (room && !room->empty()) {
    op.to(std::string(*room));
  } else if (user && (user->is_string() || user->is_int64() || user->is_uint64())) {
    std::string id = user->is_string() ? std::string(user->as_string()) : json::serialize(*user);
    if (id.empty()) return net::api_error(400, "invalid_request", "\"user\" must not be empty");
    op.to("user:" + id);
  } else if (!(o.contains("broadcast") && o.at("broadcast") == true)) {
    return net::api_error(400, "invalid_request",
                          "give a \"room\" or a \"user\" (or \"broadcast\": true)");
  }
  json::array args;
  if (auto e = read_emit_options(o, op, args)) return *e;
  op.emit(std::string_view(*event), std::move(args));
  net::HttpResponse r;
  r.header("Content-Type", "application/json");
  r.body = R"({"ok":true})";
  return r;
}

}  // namespace sb::api
