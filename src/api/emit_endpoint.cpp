#include "api/emit_endpoint.hpp"

#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

net::HttpResponse handle_emit(const net::HttpRequest& req, sio::SioServer& server) {
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
  auto op = server.in(nsp);
  const json::string* room = str("room");
  const json::value* user = o.if_contains("user");
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
  if (auto* ex = o.if_contains("except")) {
    if (!ex->is_array())
      return net::api_error(400, "invalid_request", "\"except\" must be an array");
    for (auto& r : ex->as_array()) {
      if (!r.is_string())
        return net::api_error(400, "invalid_request", "\"except\" must hold room names");
      op.except(std::string(r.as_string()));
    }
  }
  json::array args;
  if (auto* a = o.if_contains("args")) {
    if (!a->is_array()) return net::api_error(400, "invalid_request", "\"args\" must be an array");
    args = a->as_array();
  } else if (auto* d = o.if_contains("data")) {
    args.push_back(*d);
  }
  if (o.contains("volatile") && o.at("volatile") == true) op.volatile_();
  op.emit(std::string_view(*event), std::move(args));
  net::HttpResponse r;
  r.header("Content-Type", "application/json");
  r.body = R"({"ok":true})";
  return r;
}

}  // namespace sb::api
