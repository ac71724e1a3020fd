#pragma once
// Value types shared by the Socket.IO gateway's public surface.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb::sio {

class Socket;

// A binary attachment: raw bytes. In JSON arguments it appears as a placeholder
// {"_placeholder":true,"num":n} pointing into the attachment list.
using Bytes = std::string;

// An event received from a client.
struct Event {
  std::string name;
  boost::json::array args;  // arguments after the event name
  std::vector<Bytes> attachments;
  std::optional<uint64_t> ack_id;  // set when the client expects an acknowledgement
  bool wants_ack() const { return ack_id.has_value(); }
};

using EventHandler = std::function<void(Socket&, Event&)>;
using ConnectionHook = std::function<void(Socket&)>;
using DisconnectHook = std::function<void(Socket&, const std::string& reason)>;

// Refusal from a connection middleware: becomes CONNECT_ERROR {message, data}.
struct ConnectRefusal {
  std::string message;
  boost::json::value data;
};
// Runs before a socket joins its namespace; return a refusal to reject it.
using Middleware = std::function<std::optional<ConnectRefusal>(Socket&)>;

// Result of a server-side emit with acknowledgement.
struct AckResult {
  bool ok = false;
  std::string error;  // "operation has timed out", "socket disconnected"
  boost::json::array args;
  std::vector<Bytes> attachments;
};
using AckCallback = std::function<void(AckResult)>;

// How SioServer::notify_user treats one notification when the inbox is on.
struct NotifyResult {
  bool ok = false;
  std::string id;     // the stored notification's id (when stored)
  std::string error;  // why it could not be stored
};
struct NotifyOptions {
  std::optional<bool> store;           // keep it in the user's inbox; unset: inbox.store_by_default
  std::optional<bool> deliver_missed;  // push it on the next connect if no socket got it live;
                                       // unset: inbox.deliver_missed
  // Called once stored (after the commit, before the push) or failed; from the inbox thread.
  std::function<void(NotifyResult)> on_stored;
};

// Thrown by a handler to send its caller an `exception` event with this message
// (NestJS's WsException). Any other exception reports "Internal server error".
class WsException : public std::runtime_error {
 public:
  explicit WsException(const std::string& message) : std::runtime_error(message) {}
  WsException(const std::string& message, boost::json::value payload)
      : std::runtime_error(message), payload_(std::move(payload)) {}
  // When set, emitted as-is instead of {status, message, cause}.
  const boost::json::value& payload() const { return payload_; }

 private:
  boost::json::value payload_;
};

}  // namespace sb::sio
