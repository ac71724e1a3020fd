#pragma once
// Where cluster messages go on each broker. Pure, no I/O.
//
// Redis: exactly the Socket.IO Redis adapter's channels, so Node servers with
// @socket.io/redis-adapter (and @socket.io/redis-emitter) share the cluster:
//   broadcasts  `<prefix>#<nsp>#`, or `<prefix>#<nsp>#<room>#` for exactly one room
//   requests    `<prefix>-request#<nsp>#`
// NATS: subjects are '.'-separated tokens without spaces, `*` or `>`, so the
// namespace becomes one escaped token (`.`, `*`, `>`, `%`, spaces and
// non-ASCII as %XX: "/" stays "/", "/a.b" is "/a%2Eb"); rooms are not in the
// subject (the receiver filters by the message's rooms):
//   broadcasts  `<prefix>.<nsp token>.broadcast`
//   requests    `<prefix>.<nsp token>.request`
// The payloads are the same on both (see protocol/emitter_message.hpp).
// Answers to requests with a requestId (protocol/cluster_message.hpp):
//   Redis `<prefix>-response#<nsp>#` (the adapter's), NATS `<prefix>.<nsp token>.response`
// Presence heartbeats (ours):
//   Redis `<prefix>-presence#`, NATS `<prefix>.presence`
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::inter_service {

enum class ClusterScheme { redis, nats };

class ClusterChannels {
 public:
  ClusterChannels(ClusterScheme scheme, std::string prefix)
      : scheme_(scheme), prefix_(std::move(prefix)) {}

  // Why `prefix` cannot be used on `scheme` ("" when it can): Redis glob
  // characters, NATS wildcards, spaces, empty NATS tokens.
  static std::string check_prefix(ClusterScheme scheme, std::string_view prefix);

  ClusterScheme scheme() const { return scheme_; }
  const std::string& prefix() const { return prefix_; }

  std::string broadcast(std::string_view nsp, const std::vector<std::string>& rooms) const;
  std::string request(std::string_view nsp) const;
  std::string response(std::string_view nsp) const;
  std::string presence() const;
  // What to subscribe to: a Redis glob (PSUBSCRIBE), or a NATS pattern.
  std::string broadcast_subscription() const;
  std::string request_subscription() const;
  std::string response_subscription() const;
  // The namespace a request channel/subject is for; nullopt when not one.
  std::optional<std::string> nsp_of_request(std::string_view channel) const;

 private:
  ClusterScheme scheme_;
  std::string prefix_;
};

// One NATS token for any string, and back (nullopt: not a token we made).
std::string nats_token_escape(std::string_view s);
std::optional<std::string> nats_token_unescape(std::string_view token);

}  // namespace sb::inter_service
