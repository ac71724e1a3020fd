#include "api/api_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sb::api {

namespace json = boost::json;

std::optional<json::value> parse_json_body(std::string_view body, net::HttpResponse& error) {
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 64;
  json::value v = json::parse(body, ec, {}, opt);
  if (ec) {
    error = net::api_error(400, "invalid_json", "request body is not valid JSON");
    return std::nullopt;
  }
  return v;
}

std::optional<json::object> parse_json_object(std::string_view body, net::HttpResponse& error) {
  auto v = parse_json_body(body, error);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    error = net::api_error(400, "invalid_request", "body must be a JSON object");
    return std::nullopt;
  }
  return std::move(v->as_object());
}

net::HttpResponse json_response(const json::value& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.header("Cache-Control", "no-store");
  r.body = json::serialize(body);
  return r;
}

std::string normalize_namespace(std::string_view nsp) {
  if (nsp.empty()) return "/";
  if (nsp[0] != '/') return "/" + std::string(nsp);
  return std::string(nsp);
}

}  // namespace sb::api
