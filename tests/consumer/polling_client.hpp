#pragma once
// Just enough of an Engine.IO v4 polling client to prove a handler answers:
// plain HTTP/1.1 over a blocking socket, one connection per request.
#include <cstdint>
#include <string>

// The response body of one request to 127.0.0.1:port; throws std::runtime_error.
std::string http_request(uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = {});
