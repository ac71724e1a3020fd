#pragma once
// GET /api/node: this node's identity and load:
//   {id, version, started_at, uptime_s, workers, connections: {sockets, users,
//    sse_subscriptions}, namespaces: ["/", ...]}
#include <chrono>
#include <string>

#include "api/emit_endpoint.hpp"
#include "api/presence.hpp"

namespace sb::intra {
class SseServer;
}

namespace sb::api {

struct NodeInfo {
  std::string id;       // hostname-pid unless configured
  std::string version;  // the binary's version
  unsigned workers = 0;
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// "<hostname>-<pid>": unique enough to tell nodes apart in a cluster's answers.
std::string default_node_id();

void handle_node(const net::HttpRequest& req, const NodeInfo& info, Presence& presence,
                 const intra::SseServer& sse, Respond respond);

}  // namespace sb::api
