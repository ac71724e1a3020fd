#pragma once
// Exceptions of the public API.
#include <stdexcept>
#include <string>
#include <utility>

#include "switchboard/json.hpp"

namespace switchboard {

// Thrown by a handler, guard or interceptor: the calling client gets an
// `exception` event, {status: "error", message, cause: {pattern, data}} -- or
// `payload` as is when one is given -- as NestJS's WsException does. Any other
// exception gives the client "Internal server error" and is logged. In a
// connection guard it refuses the connection: CONNECT_ERROR {message}.
class WsException : public std::runtime_error {
 public:
  explicit WsException(const std::string& message) : std::runtime_error(message) {}
  WsException(const std::string& message, Json payload)
      : std::runtime_error(message), payload_(std::move(payload)) {}
  const Json& payload() const { return payload_; }

 private:
  Json payload_;
};

// An invalid configuration; what() names the key ("server.port: ...").
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace switchboard
