#pragma once
// Small helpers shared by the /api endpoints: bounded JSON body parsing and
// JSON answers in the API's shape.
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace sb::api {

// Parses `body` (depth at most 64). On failure fills `error` with a 400
// invalid_json answer and returns nullopt.
std::optional<boost::json::value> parse_json_body(std::string_view body, net::HttpResponse& error);
// Like parse_json_body, and requires an object (400 invalid_request otherwise).
std::optional<boost::json::object> parse_json_object(std::string_view body,
                                                     net::HttpResponse& error);

// 200 (or `status`) with `body` serialized, Content-Type JSON, not cached.
net::HttpResponse json_response(const boost::json::value& body, int status = 200);

// "/admin" from "admin" or "/admin"; "/" for empty.
std::string normalize_namespace(std::string_view nsp);

}  // namespace sb::api
